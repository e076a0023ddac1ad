# Fixture for tests/test_julia_ccall.sh: correct calls in every form the
# checker reads.  Never loaded by Julia.
lib() = "libmvnorm"
v = @ccall lib().mvn_version_number()::Cuint
s = ccall((:mvn_strerror, lib()), Cstring, (Cint,), 2)
x = Ref{Cdouble}(0.0)
st = ccall((:mvn_context_get, lib()), Cint, (Ptr{Cvoid}, Cint, Ref{Cdouble}), C_NULL, 1, x)
y = @ccall lib().mvn_norm_P(0.5::Cdouble)::Cdouble  # a comment with @ccall f(x)::Cint
txt = "not a call: @ccall lib().nothing_here(1::Cint)::Cint"
