#!/usr/bin/env python3
"""check_ccalls.py -- every ccall of a Julia package against a C header and
the symbols a shared library exports.

For each `ccall((:name, lib), R, (T1, ...), a1, ...)`, `@ccall lib.name(a1::T1,
...)::R` and call of a ccall-like macro (default: @gcsafe_ccall) found in the
given Julia files, the checker requires that
  - `name` is a symbol the library exports (nm -D --defined-only);
  - `name` has a prototype in the header (MVN_API ... name(...);) -- or the
    prefix given by --api-macro;
  - the number of arguments equals the number of C parameters;
  - every argument type and the return type are compatible (table below).

Julia types and the C types they match (pointer depth counts; Ref{T} is a
pointer like Ptr{T}):
    Cdouble, Float64          double          Cint, Int32        int (and enums)
    Cuint, UInt32             unsigned        Csize_t, UInt      size_t
    Cptrdiff_t, Int           ptrdiff_t       Cvoid, Nothing     void
    Cstring, Ptr{UInt8}, Ptr{Cchar}           char *
    Ptr{Cvoid}                void *, pointers to structs (opaque or not),
                              function pointer typedefs
    Ptr{J}/Ref{J}             struct S *, when --struct S=J is given or the
                              Julia struct J is marked "# C: S" (see below)

Struct mirrors: a Julia struct whose `struct` line carries the comment
`# C: c_name` must have the fields of the header's `typedef struct {...}
c_name` in order, with compatible types (`NTuple{k,T}` for `T x[k]`);
`# C: c_name (prefix)` allows the C struct to be longer (structs that may grow
at their end, read only).

Callbacks: every `@cfunction(f, R, (T...,))` must carry `# C: typedef_name`
on its closing line, and its types must match that function-pointer typedef.

Exit status 0 when every call, mirror and callback matches and at least --min-calls were found;
1 otherwise.  One line per call ("ok" / "ERROR") and a summary line.
SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import os
import re
import subprocess
import sys

# ---------------------------------------------------------------- C header


def strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: " " * len(m.group(0)), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return "\n".join("" if ln.lstrip().startswith("#") else ln for ln in text.split("\n"))


C_SCALARS = {
    "double": "double", "float": "float", "int": "int", "unsigned": "unsigned",
    "unsigned int": "unsigned", "size_t": "size_t", "ptrdiff_t": "ptrdiff_t",
    "char": "char", "void": "void", "int64_t": "int64", "uint64_t": "uint64",
    "int32_t": "int", "uint32_t": "unsigned", "long": "long",
}


class Header:
    def __init__(self, path, api_macro):
        text = strip_c_comments(open(path, encoding="utf-8").read())
        self.kinds = {}  # typedef name -> "opaque" | "struct" | "enum" | "fnptr"
        for m in re.finditer(r"typedef\s+struct\s+(\w+)\s+(\w+)\s*;", text):
            self.kinds[m.group(2)] = "opaque"
        for m in re.finditer(r"typedef\s+struct\s*\w*\s*\{[^{}]*\}\s*(\w+)\s*;", text):
            self.kinds[m.group(1)] = "struct"
        for m in re.finditer(r"typedef\s+enum\s*\w*\s*\{[^{}]*\}\s*(\w+)\s*;", text):
            self.kinds[m.group(1)] = "enum"
        self.fnptrs = {}  # typedef name -> (return, [params], text)
        fnptr_re = r"typedef\s+([\w\s\*]+?)\(\s*\*\s*(\w+)\s*\)\s*\(([^;]*?)\)\s*;"
        for m in re.finditer(fnptr_re, text):
            self.kinds[m.group(2)] = "fnptr"
        for m in re.finditer(fnptr_re, text):
            params = m.group(3).strip()
            plist = [] if params in ("", "void") else [p.strip() for p in params.split(",")]
            self.fnptrs[m.group(2)] = (self.ctype(m.group(1), is_return=True),
                                       [self.ctype(p) for p in plist], " ".join(params.split()))
        self.struct_fields = {}  # typedef'd struct name -> [(field, (base, depth), count)]
        for m in re.finditer(r"typedef\s+struct\s*\w*\s*\{([^{}]*)\}\s*(\w+)\s*;", text):
            fields = []
            for decl in m.group(1).split(";"):
                decl = " ".join(decl.split())
                if not decl:
                    continue
                # "size_t n, d" declares two fields of one type; "ptrdiff_t
                # s[2]" an array of two; stars belong to each declarator.
                first, *more = [x.strip() for x in decl.split(",")]
                fm = re.match(r"([\w\s]+?)\s*(\**\s*\w+\s*(?:\[\d+\])?)$", first)
                base = fm.group(1)
                for declarator in [fm.group(2)] + more:
                    dm = re.match(r"(\**)\s*(\w+)\s*(?:\[(\d+)\])?$", declarator)
                    ctype = self.ctype(f"{base} {dm.group(1)} {dm.group(2)}")
                    fields.append((dm.group(2), fnptr_depth_fix(ctype), int(dm.group(3) or 1)))
            self.struct_fields[m.group(2)] = fields
        self.protos = {}
        pat = re.compile(re.escape(api_macro) + r"\s+([^;(){}]*?)\b(\w+)\s*\(([^;{}]*?)\)\s*;", re.S)
        for m in pat.finditer(text):
            ret, name, params = m.group(1), m.group(2), m.group(3)
            plist = [] if params.strip() in ("", "void") else [p.strip() for p in params.split(",")]
            self.protos[name] = (self.ctype(ret, is_return=True),
                                 [self.ctype(p) for p in plist], " ".join(params.split()))

    def ctype(self, decl, is_return=False):
        """(base, pointer depth) of a parameter declaration or return type."""
        s = re.sub(r"\b(const|volatile|restrict|struct|enum)\b", " ", decl)
        depth = s.count("*")
        words = s.replace("*", " ").split()
        if not is_return and len(words) >= 2 and not (words[-2:] == ["unsigned", "int"]):
            words = words[:-1]  # drop the parameter name
        base = " ".join(words)
        if base in C_SCALARS:
            return (C_SCALARS[base], depth)
        kind = self.kinds.get(base)
        if kind == "enum" and depth == 0:
            return ("int", 0)
        if kind == "fnptr":
            return ("fnptr:" + base, depth)
        if kind in ("opaque", "struct"):
            return (kind + ":" + base, depth)
        return ("unknown:" + base, depth)


# ---------------------------------------------------------------- Julia side

JULIA_SCALARS = {
    "Cdouble": "double", "Float64": "double", "Cfloat": "float", "Float32": "float",
    "Cint": "int", "Int32": "int", "Cuint": "unsigned", "UInt32": "unsigned",
    "Csize_t": "size_t", "UInt": "size_t", "Cptrdiff_t": "ptrdiff_t", "Int": "ptrdiff_t",
    "Cvoid": "void", "Nothing": "void", "Cchar": "char", "UInt8": "char", "Int8": "char",
    "Cuchar": "char", "Clonglong": "int64", "Int64": "int64", "UInt64": "uint64",
    "Culonglong": "uint64", "Clong": "long",
}


def julia_type(t):
    """(base, depth) of a Julia type expression as written in a ccall."""
    t = re.sub(r"\s+", "", t)
    depth = 0
    while True:
        m = re.fullmatch(r"(?:Base\.)?(Ptr|Ref)\{(.*)\}", t)
        if not m:
            break
        depth += 1
        t = m.group(2)
    if t == "Cstring":
        return ("char", depth + 1)
    if t in JULIA_SCALARS:
        return (JULIA_SCALARS[t], depth)
    return ("julia:" + t, depth)


def compatible(jt, ct, structs):
    jb, jd = jt
    cb, cd = ct
    if (jb, jd) == (cb, cd):
        return True
    if jd != cd:
        return False
    if jd >= 1 and jb == "void" and cd == 1 and (
            cb.startswith("opaque:") or cb.startswith("struct:")):
        return True  # Ptr{Cvoid} for a pointer to a struct
    if jd == 1 and jb == "void" and cb.startswith("fnptr:") and cd == 1:
        return True
    if jb.startswith("julia:") and (cb.startswith("struct:") or cb.startswith("opaque:")):
        return structs.get(cb.split(":", 1)[1]) == jb.split(":", 1)[1]
    return False


def fnptr_depth_fix(ct):
    # A function-pointer typedef is itself a pointer: count it as depth 1.
    b, d = ct
    return (b, d + 1) if b.startswith("fnptr:") else ct


def mask_julia(src):
    """Comments and string contents replaced by spaces (newlines kept), so
    that brackets and commas can be matched on the result."""
    out = list(src)
    i, n = 0, len(src)
    prev_sig = ""  # last significant character seen

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        if src.startswith("#=", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("#=", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("=#", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
            continue
        if c == "#":
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
            continue
        if c == '"':
            triple = src.startswith('"""', i)
            q = '"""' if triple else '"'
            j = i + len(q)
            while j < n and not src.startswith(q, j):
                j += 2 if src[j] == "\\" else 1
            blank(i + len(q), min(j, n))
            i = j + len(q)
            prev_sig = '"'
            continue
        if c == "'" and not (prev_sig.isalnum() or prev_sig in "_)]}'."):
            m = re.match(r"'(\\.[^']*|[^'\\])'", src[i:])
            if m:
                blank(i + 1, i + len(m.group(0)) - 1)
                i += len(m.group(0))
                prev_sig = "'"
                continue
        if not c.isspace():
            prev_sig = c
        i += 1
    return "".join(out)


OPEN = {"(": ")", "[": "]", "{": "}"}


def match_close(s, i):
    """Index of the bracket closing s[i]."""
    stack = []
    for j in range(i, len(s)):
        ch = s[j]
        if ch in OPEN:
            stack.append(OPEN[ch])
        elif ch in ")]}":
            if not stack or stack.pop() != ch:
                return -1
            if not stack:
                return j
    return -1


def split_top(s, sep=","):
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in OPEN:
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    if parts and parts[-1].strip() == "":
        parts.pop()  # trailing comma
    return [p.strip() for p in parts]


def split_annotation(arg):
    """'x::T' -> ('x', 'T') at the last top-level '::'."""
    depth = 0
    last = -1
    for k, ch in enumerate(arg):
        if ch in OPEN:
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and arg.startswith("::", k):
            last = k
    if last < 0:
        return arg, None
    return arg[:last].strip(), arg[last + 2:].strip()


TYPE_RE = re.compile(r"\s*::\s*((?:Base\.)?[A-Za-z_]\w*)")


def read_type(masked, pos):
    """A type expression (Name or Name{...}) starting at pos; (text, end)."""
    m = TYPE_RE.match(masked, pos)
    if not m:
        return None, pos
    end = m.end()
    if end < len(masked) and masked[end] == "{":
        close = match_close(masked, end)
        if close < 0:
            return None, pos
        end = close + 1
    return re.sub(r"\s+", "", masked[m.start(1):end]), end


def find_calls(path, macros):
    src = open(path, encoding="utf-8").read()
    masked = mask_julia(src)
    calls = []

    def lineno(pos):
        return src.count("\n", 0, pos) + 1

    # Macro forms: @ccall [opt=val ...] lib.name(args...)::R
    for macro in macros:
        for m in re.finditer(r"@" + re.escape(macro) + r"\b", masked):
            where = f"{path}:{lineno(m.start())}"
            call = re.compile(r"\.\s*([A-Za-z_]\w*)\s*\(").search(masked, m.end())
            if not call or not re.fullmatch(r"[\s\w=().$]*", masked[m.end():call.start()]):
                calls.append({"where": where, "error": f"@{macro}: cannot find `lib.name(...)`"})
                continue
            name = call.group(1)
            open_at = call.end() - 1
            close = match_close(masked, open_at)
            if close < 0:
                calls.append({"where": where, "error": f"@{macro} {name}: unbalanced brackets"})
                continue
            inner = masked[open_at + 1:close]
            if ";" in inner:
                calls.append({"where": where, "name": name,
                              "error": "varargs (;) in a ccall: the API has no varargs"})
                continue
            args, types = [], []
            for a in split_top(inner):
                expr, typ = split_annotation(a)
                args.append(expr)
                types.append(typ)
            ret, _ = read_type(masked, close + 1)
            calls.append({"where": where, "name": name, "form": "@" + macro,
                          "types": types, "nargs": len(args), "ret": ret})
    # Function form: ccall(spec, R, (T...,), args...)
    for m in re.finditer(r"(?<![@\w.])ccall\s*\(", masked):
        where = f"{path}:{lineno(m.start())}"
        open_at = m.end() - 1
        close = match_close(masked, open_at)
        if close < 0:
            calls.append({"where": where, "error": "ccall: unbalanced brackets"})
            continue
        parts = split_top(masked[open_at + 1:close])
        orig = split_top(src[open_at + 1:close])  # symbol names may be strings
        if len(parts) < 3:
            calls.append({"where": where, "error": "ccall with fewer than 3 arguments"})
            continue
        spec = orig[0]
        sm = re.match(r"\(\s*(?::([A-Za-z_]\w*)|\"([A-Za-z_]\w*)\")\s*,", spec) or \
            re.fullmatch(r"\s*(?::([A-Za-z_]\w*)|\"([A-Za-z_]\w*)\")\s*", spec)
        if not sm:
            calls.append({"where": where, "error":
                          f"ccall: the function is not named ((:name, lib)): {spec.strip()}"})
            continue
        name = sm.group(1) or sm.group(2)
        ret = re.sub(r"\s+", "", parts[1])
        tt = parts[2].strip()
        if not (tt.startswith("(") and match_close(tt, 0) == len(tt) - 1):
            calls.append({"where": where, "name": name,
                          "error": f"ccall: argument types are not a tuple literal: {tt}"})
            continue
        types = [re.sub(r"\s+", "", t) for t in split_top(tt[1:-1])]
        calls.append({"where": where, "name": name, "form": "ccall", "types": types,
                      "nargs": len(parts) - 3, "ret": ret})
    return calls


MIRROR_RE = re.compile(r"^([ \t]*)(?:mutable\s+)?struct\s+(\w+)[^\n#]*#\s*C:\s*(\w+)(\s*\(prefix\))?",
                       re.M)


def find_mirrors(path):
    """Julia structs marked `# C: c_struct_name` (or `(prefix)` when the C
    struct may be longer): their fields in order."""
    src = open(path, encoding="utf-8").read()
    mirrors = []
    for m in MIRROR_RE.finditer(src):
        fields = []
        for line in src[m.end():].split("\n")[1:]:
            code = line.split("#")[0].strip()
            if code == "end":
                break
            if not code:
                continue
            name, typ = split_annotation(code)
            fields.append((name, typ))
        mirrors.append({"where": f"{path}:{src.count(chr(10), 0, m.start()) + 1}",
                        "julia": m.group(2), "c": m.group(3), "prefix": bool(m.group(4)),
                        "fields": fields})
    return mirrors


def check_mirror(mirror, header, structs):
    cfields = header.struct_fields.get(mirror["c"])
    if cfields is None:
        return [f"struct {mirror['julia']}: the header defines no struct {mirror['c']}"]
    errors = []
    jf = mirror["fields"]
    if len(jf) > len(cfields) or (not mirror["prefix"] and len(jf) != len(cfields)):
        errors.append(f"struct {mirror['julia']} has {len(jf)} field(s), {mirror['c']} has "
                      f"{len(cfields)}" + (" (prefix allowed)" if mirror["prefix"] else ""))
    for (jname, jtype), (cname, ctype, count) in zip(jf, cfields):
        if jtype is None:
            errors.append(f"struct {mirror['julia']}: field {jname} has no type")
            continue
        t = re.sub(r"\s+", "", jtype)
        n = 1
        tm = re.fullmatch(r"NTuple\{(\d+),(.*)\}", t)
        if tm:
            n, t = int(tm.group(1)), tm.group(2)
        if n != count or not compatible(julia_type(t), ctype, structs):
            errors.append(f"struct {mirror['julia']}: field {jname}::{jtype} does not match "
                          f"{mirror['c']}.{cname} ({ctype[0]}, pointer depth {ctype[1]}"
                          f"{', ' + str(count) + ' elements' if count > 1 else ''})")
    return errors


CFUNCTION_RE = re.compile(r"@cfunction\s*\(")


def find_cfunctions(path):
    """@cfunction(f, R, (T...,)) marked with a trailing `# C: typedef_name`."""
    src = open(path, encoding="utf-8").read()
    masked = mask_julia(src)
    found = []
    for m in CFUNCTION_RE.finditer(masked):
        where = f"{path}:{src.count(chr(10), 0, m.start()) + 1}"
        close = match_close(masked, m.end() - 1)
        line_end = src.find("\n", close)
        tag = re.search(r"#\s*C:\s*(\w+)", src[close:line_end if line_end >= 0 else None])
        if close < 0 or not tag:
            found.append({"where": where, "error": "@cfunction without a `# C: typedef` comment "
                          "on its closing line (the checker cannot match it to a C type)"})
            continue
        parts = split_top(masked[m.end():close])
        if len(parts) != 3 or not parts[2].startswith("("):
            found.append({"where": where, "error": "@cfunction: expected (f, R, (T...,))"})
            continue
        found.append({"where": where, "typedef": tag.group(1), "ret": re.sub(r"\s+", "", parts[1]),
                      "types": [re.sub(r"\s+", "", t) for t in split_top(parts[2].strip()[1:-1])]})
    return found


def check_cfunction(cf, header, structs):
    if "error" in cf:
        return [cf["error"]]
    sig = header.fnptrs.get(cf["typedef"])
    if sig is None:
        return [f"@cfunction: the header has no function pointer typedef {cf['typedef']}"]
    cret, cparams, ctext = sig
    errors = []
    if len(cf["types"]) != len(cparams):
        errors.append(f"@cfunction for {cf['typedef']}: {len(cf['types'])} argument type(s), "
                      f"the typedef has {len(cparams)} ({ctext})")
    for k, (jt, ct) in enumerate(zip(cf["types"], cparams)):
        if not compatible(julia_type(jt), fnptr_depth_fix(ct), structs):
            errors.append(f"@cfunction for {cf['typedef']}: argument {k + 1} is {jt}, the typedef "
                          f"declares {ctext.split(',')[k].strip()}")
    if not compatible(julia_type(cf["ret"]), fnptr_depth_fix(cret), structs):
        errors.append(f"@cfunction for {cf['typedef']}: returns {cf['ret']}, the typedef "
                      f"declares {cret[0]}")
    return errors


def exported_symbols(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] in ("T", "W", "i"):
            syms.add(f[2].split("@")[0])
    return syms


def check(call, header, exports, structs):
    errors = []
    if "error" in call:
        return [call["error"]]
    name = call["name"]
    if name not in exports:
        errors.append(f"{name} is not exported by the library")
    proto = header.protos.get(name)
    if proto is None:
        errors.append(f"{name} has no prototype in the header")
        return errors
    cret, cparams, ctext = proto
    cparams = [fnptr_depth_fix(p) for p in cparams]
    cret = fnptr_depth_fix(cret)
    if call["nargs"] != len(cparams) or len(call["types"]) != len(cparams):
        errors.append(f"{name}: {call['nargs']} argument(s) and {len(call['types'])} type(s) "
                      f"given, the header declares {len(cparams)} ({ctext})")
    for k, (jt, ct) in enumerate(zip(call["types"], cparams)):
        if jt is None:
            errors.append(f"{name}: argument {k + 1} has no ::Type annotation")
            continue
        if not compatible(julia_type(jt), ct, structs):
            errors.append(f"{name}: argument {k + 1} is {jt}, the header declares "
                          f"{ctext.split(',')[k].strip() if k < len(ctext.split(',')) else '?'}")
    if call["ret"] is None:
        errors.append(f"{name}: no return type")
    elif not compatible(julia_type(call["ret"]), cret, structs):
        errors.append(f"{name}: returns {call['ret']}, the header declares {cret[0]} "
                      f"with pointer depth {cret[1]}")
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--header", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--library", help="shared library to read exports from (nm -D)")
    src.add_argument("--exports-file", help="file with one exported symbol per line")
    ap.add_argument("--api-macro", default="MVN_API")
    ap.add_argument("--macro", action="append", default=None,
                    help="ccall-like macro name, without @ (default: ccall, gcsafe_ccall)")
    ap.add_argument("--struct", action="append", default=[],
                    help="C_STRUCT=JuliaType for typed struct pointers")
    ap.add_argument("--min-calls", type=int, default=1)
    ap.add_argument("paths", nargs="+")
    opt = ap.parse_args()
    header = Header(opt.header, opt.api_macro)
    if not header.protos:
        print(f"ERROR: no {opt.api_macro} prototypes found in {opt.header}")
        return 1
    if opt.library:
        exports = exported_symbols(opt.library)
    else:
        exports = {ln.strip() for ln in open(opt.exports_file) if ln.strip()}
    structs = dict(s.split("=", 1) for s in opt.struct)
    macros = opt.macro or ["ccall", "gcsafe_ccall"]
    files = []
    for p in opt.paths:
        if os.path.isdir(p):
            for root, _, names in sorted(os.walk(p)):
                files += [os.path.join(root, f) for f in sorted(names) if f.endswith(".jl")]
        else:
            files.append(p)
    # A struct mirror (# C: name) also types pointers to that C struct.
    mirrors = [m for f in files for m in find_mirrors(f)]
    for m in mirrors:
        structs.setdefault(m["c"], m["julia"])
    n_calls = n_bad = 0
    for f in files:
        for call in find_calls(f, macros):
            n_calls += 1
            errs = check(call, header, exports, structs)
            label = call.get("name", "?")
            if errs:
                n_bad += 1
                for e in errs:
                    print(f"ERROR {call['where']}: {e}")
            else:
                print(f"ok {call['where']}: {label} ({call['nargs']} args, {call['form']})")
    n_structs = 0
    for mirror in mirrors:
        n_structs += 1
        errs = check_mirror(mirror, header, structs)
        if errs:
            n_bad += 1
            for e in errs:
                print(f"ERROR {mirror['where']}: {e}")
        else:
            print(f"ok {mirror['where']}: struct {mirror['julia']} mirrors {mirror['c']} "
                  f"({len(mirror['fields'])} fields{', prefix' if mirror['prefix'] else ''})")
    n_cfun = 0
    for f in files:
        for cf in find_cfunctions(f):
            n_cfun += 1
            errs = check_cfunction(cf, header, structs)
            if errs:
                n_bad += 1
                for e in errs:
                    print(f"ERROR {cf['where']}: {e}")
            else:
                print(f"ok {cf['where']}: @cfunction matches {cf['typedef']} "
                      f"({len(cf['types'])} args)")
    print(f"{n_calls} ccall(s), {n_structs} struct mirror(s) and {n_cfun} @cfunction(s) "
          f"in {len(files)} file(s), "
          f"{n_bad} with errors; "
          f"{len(header.protos)} prototypes in the header, {len(exports)} exported symbols")
    if n_calls < opt.min_calls:
        print(f"ERROR: fewer than {opt.min_calls} ccall(s) found: the check would be vacuous")
        return 1
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main())
