# Fixture for tests/test_julia_ccall.sh: a progress callback whose second
# argument is declared Ptr{Cdouble} instead of a pointer to mvn_progress.
stop(user::Ptr{Cvoid}, info::Ptr{Cdouble}) = Cint(0)
callback = @cfunction(stop, Cint, (Ptr{Cvoid}, Ptr{Cdouble}))  # C: mvn_progress_fn
