# Fixture: mvn_prob takes 9 arguments; the abserr pointer is missing here.
lib() = "libmvnorm"
st = @ccall lib().mvn_prob(C_NULL::Ptr{Cvoid}, 2::Csize_t, C_NULL::Ptr{Cdouble},
                           C_NULL::Ptr{Cdouble}, C_NULL::Ptr{Cdouble}, C_NULL::Ptr{Cdouble},
                           C_NULL::Ptr{Cdouble}, C_NULL::Ptr{Cdouble})::Cint
