# Fixture for tests/test_julia_ccall.sh: a mirror of mvn_progress whose
# second field has the wrong type (Cint for size_t) must be reported.
struct WrongProgress   # C: mvn_progress
    problems::Csize_t
    problems_done::Cint
    evaluations::Cdouble
end
