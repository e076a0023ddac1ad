# Fixture for tests/test_julia_parse.sh: a missing `end` must be reported.
function broken(x)
    if x > 0
        return x
end
