# Fixture: the value of mvn_context_set is a double, passed here as Cint.
lib() = "libmvnorm"
st = @ccall lib().mvn_context_set(C_NULL::Ptr{Cvoid}, 1::Cint, 3::Cint)::Cint
