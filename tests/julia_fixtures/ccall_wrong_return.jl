# Fixture: mvn_context_evaluations returns double, read here as Cint.
lib() = "libmvnorm"
n = @ccall lib().mvn_context_evaluations(C_NULL::Ptr{Cvoid})::Cint
