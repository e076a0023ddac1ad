# Library statuses as Julia exceptions.  The values are pinned in
# lib/mvnorm.h section 3 and never change.
const MVN_OK = Cint(0)
const MVN_ETOL = Cint(1)
const MVN_EINVAL = Cint(2)
const MVN_EDIM = Cint(3)
const MVN_ENAN = Cint(4)
const MVN_EBOUNDS = Cint(5)
const MVN_ENOTPD = Cint(6)
const MVN_EASYM = Cint(7)
const MVN_ENOMEM = Cint(8)

"""
    MvNormError(status, message)

A libmvnorm status that has no closer Julia exception: a missed tolerance
when `etol = :error` was asked for, a backend that is not available, a
request the backend cannot serve.  `status` is the library's code,
`message` names it and repeats the library's explanation.
"""
struct MvNormError <: Exception
    status::Int
    message::String
end
Base.showerror(io::IO, e::MvNormError) = print(io, "MvNormError: ", e.message)

const MVN_ECANCELED = Cint(11)

# "mvnormcdf: MVN_EBOUNDS (a lower limit exceeds its upper limit): lower[0] = 1 exceeds upper[0] = 0"
# Names and descriptions come from the library (mvn_status_name,
# mvn_strerror), never from a copied table.
function _status_text(status::Integer)
    name = mvn_status_name(status)
    label = name == C_NULL ? "status $(Int(status))" : unsafe_string(name)
    return "$label ($(unsafe_string(mvn_strerror(status))))"
end

function _status_message(ctx::Ptr{Cvoid}, status::Integer, what::AbstractString)
    detail = unsafe_string(mvn_context_message(ctx))
    text = "$what: $(_status_text(status))"
    return isempty(detail) ? text : "$text: $detail"
end

# Turns a status into an exception (or, for MVN_ETOL, a warning), with the
# context's message.  Must be called before the context is freed.
function _check_status(ctx::Ptr{Cvoid}, status::Integer, what::AbstractString, etol::Symbol)
    status == MVN_OK && return nothing
    msg = _status_message(ctx, status, what)
    if status == MVN_ETOL
        if etol === :warn
            @warn "LibMvNorm: the requested tolerance was not reached; raise `m` (the evaluation budget) or the tolerances" message = msg maxlog = 10
        elseif etol === :error
            throw(MvNormError(Int(status), msg))
        end
        return nothing
    end
    _throw_status(status, msg)
end

function _throw_status(status::Integer, msg::String)
    if status == MVN_EDIM
        throw(DimensionMismatch(msg))
    elseif status == MVN_ENOTPD
        # PosDefException carries only an index (here the first row the
        # library's message names, made 1-based); the message itself travels
        # as the cause (Julia prints it under "caused by:").
        found = match(r"\[(\d+)\]", msg)
        idx = found === nothing ? 0 : parse(Int, found.captures[1]) + 1
        try
            error(msg)
        catch
            throw(PosDefException(idx))
        end
    elseif status == MVN_ENOMEM
        throw(OutOfMemoryError())
    elseif status in (MVN_EINVAL, MVN_ENAN, MVN_EBOUNDS, MVN_EASYM)
        throw(ArgumentError(msg))
    else
        throw(MvNormError(Int(status), msg))
    end
end
