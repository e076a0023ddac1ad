# Locating libmvnorm at load time.
#
# Every ccall of the package names its library as `libmvnorm()`, a function
# call evaluated when the ccall runs (Julia caches the handle).  The path is
# fixed once, in __init__, so that a package precompiled on one machine
# finds the library of the machine it runs on.  A JLL package
# (libmvnorm_jll) replaces _library_candidates(): its `libmvnorm_path` goes
# first in the list, and nothing else in the package changes.

"Oldest library version (MAJOR*10000 + MINOR*100 + PATCH) this package works with."
const MIN_LIBRARY_VERSION = 200   # 0.2: status and option names, progress callback
"The major version this package was written for; another major is refused."
const LIBRARY_MAJOR = 0

const _LIBPATH = Ref{String}("")
const _LIBVERSION = Ref{Int}(0)

"""
    libmvnorm() -> String

The path of the libmvnorm shared library this session loaded: the value of
the environment variable `MVNORM_LIBRARY` when it is set, else the system
library found by the dynamic loader (`libmvnorm`, then `libmvnorm.so.1`).
"""
libmvnorm() = _LIBPATH[]

"""
    library_version() -> VersionNumber

The version of the loaded libmvnorm (its `mvn_version_number()`).
"""
function library_version()
    v = _LIBVERSION[]
    return VersionNumber(v ÷ 10000, (v ÷ 100) % 100, v % 100)
end

# Names the dynamic loader is asked for, in order.  The unversioned name
# exists only where development files are installed; the soname is what a
# runtime-only install (and ldconfig) provides.
function _library_candidates()
    names = String["libmvnorm"]
    if Sys.isapple()
        push!(names, "libmvnorm.1.dylib")
    elseif Sys.iswindows()
        push!(names, "libmvnorm-1")
    else
        push!(names, "libmvnorm.so.1")
    end
    return names
end

function _try_dlopen(name::AbstractString, tried::Vector{String})
    h = Libdl.dlopen(name, Libdl.RTLD_LAZY | Libdl.RTLD_LOCAL; throw_error = false)
    if h === nothing
        push!(tried, "$(repr(name)) (the dynamic loader could not open it)")
        return nothing
    end
    path = Libdl.dlpath(h)
    if Libdl.dlsym(h, :mvn_version_number; throw_error = false) === nothing
        push!(tried, "$(repr(path)) (opened, but it has no mvn_version_number: not libmvnorm)")
        Libdl.dlclose(h)
        return nothing
    end
    return path
end

function _load_library!()
    tried = String[]
    path = nothing
    override = get(ENV, "MVNORM_LIBRARY", "")
    if !isempty(override)
        # An explicit override never falls back silently to another library.
        path = _try_dlopen(override, tried)
        path === nothing && _library_error(tried, "MVNORM_LIBRARY is set")
    else
        for name in _library_candidates()
            path = _try_dlopen(name, tried)
            path === nothing || break
        end
        path === nothing && _library_error(tried, "MVNORM_LIBRARY is not set")
    end
    _LIBPATH[] = path
    v = Int(mvn_version_number())
    _LIBVERSION[] = v
    if v ÷ 10000 != LIBRARY_MAJOR || v < MIN_LIBRARY_VERSION
        need = VersionNumber(MIN_LIBRARY_VERSION ÷ 10000, (MIN_LIBRARY_VERSION ÷ 100) % 100,
                             MIN_LIBRARY_VERSION % 100)
        error("LibMvNorm: $(path) is libmvnorm $(unsafe_string(mvn_version_string())), ",
              "but this package needs libmvnorm >= $need and < $(LIBRARY_MAJOR + 1).0; ",
              "point MVNORM_LIBRARY at a matching build")
    end
    return path
end

function _library_error(tried::Vector{String}, why::AbstractString)
    error("LibMvNorm could not load libmvnorm ($why). Tried:\n  ",
          join(tried, "\n  "),
          "\nInstall libmvnorm (then run ldconfig), or set MVNORM_LIBRARY to the path ",
          "of libmvnorm.so.1, for example the build tree's lib/.libs/libmvnorm.so.1.")
end
