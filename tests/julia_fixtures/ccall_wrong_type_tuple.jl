# Fixture: the strides of mvn_plan_alloc are ptrdiff_t *, given as Ptr{Cint}.
lib() = "libmvnorm"
plan = ccall((:mvn_plan_alloc, lib()), Ptr{Cvoid},
             (Ptr{Cvoid}, Csize_t, Ptr{Cdouble}, Ptr{Cint}, Cint, Ptr{Cint}),
             C_NULL, 2, C_NULL, C_NULL, 0, C_NULL)
