#!/usr/bin/env python3
"""gen-cli-docs.py - the man page and the bash completion of umpire, made
from the help texts of the built binary, so that a new command (a row in
main.c's table with its own --help) appears in both without editing them.

    scripts/gen-cli-docs.py man  BUILD/umpire OUT.1 VERSION
    scripts/gen-cli-docs.py bash BUILD/umpire OUT   VERSION

What is read: `umpire --help` (the command list under "Commands:", the
global options, the exit statuses), `umpire CMD --help` for every command,
and `umpire CMD SUB --help` for every sub-word a usage line names (import's
formats, profile's actions) when it prints a help of its own.
"""
import os
import re
import subprocess
import sys


def helptext(umpire, *args):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0", LC_ALL="C")
    r = subprocess.run([umpire, *args, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, env=env, check=False)
    if r.returncode != 0:
        return None
    return r.stdout.decode()


def sections(text):
    """'Heading:' lines start a section; returns {heading: [lines]}."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Z][A-Za-z ]+):$", line)
        if m:
            cur = m.group(1)
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def commands(top):
    cmds = []
    for line in sections(top).get("Commands", []):
        m = re.match(r"^  (\S+)\s+(.*)$", line)
        if m:
            cmds.append((m.group(1), m.group(2).strip()))
    return cmds


def sub_words(cmd, text):
    """Sub-words the usage lines name: `umpire import swe-bench-pro ...`."""
    words = []
    for m in re.finditer(r"umpire %s ([a-z][a-z0-9-]+)\b" % re.escape(cmd), text):
        if m.group(1) not in words:
            words.append(m.group(1))
    return words


def options(text):
    """Every option a help text lists at the start of a line."""
    opts = []
    for line in text.splitlines():
        m = re.match(r"^\s+((?:-[A-Za-z0-9], )?--[a-z][a-z0-9-]*|-[A-Za-z0-9])\b", line)
        if not m:
            continue
        for o in re.findall(r"--?[A-Za-z0-9][a-z0-9-]*", m.group(1)):
            if o not in opts:
                opts.append(o)
    return opts


def collect(umpire):
    top = helptext(umpire)
    if top is None:
        sys.exit("gen-cli-docs: %s --help failed" % umpire)
    cmds = []
    for name, summary in commands(top):
        text = helptext(umpire, name)
        if text is None:
            sys.exit("gen-cli-docs: %s %s --help failed" % (umpire, name))
        subs = []
        for w in sub_words(name, text):
            t = helptext(umpire, name, w)
            subs.append((w, t if t is not None and t != text else None))
        cmds.append({"name": name, "summary": summary, "help": text, "subs": subs})
    return top, cmds


def roff_escape(line):
    line = line.replace("\\", "\\e")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def roff_block(text):
    out = [".nf"]
    out += [roff_escape(l) for l in text.rstrip("\n").splitlines()]
    out.append(".fi")
    return out


def man(umpire, version):
    top, cmds = collect(umpire)
    sec = sections(top)
    intro = [l for l in top.split("\n\n")[1:2]]
    out = [
        '.TH UMPIRE 1 "" "umpire %s" "User Commands"' % version,
        ".SH NAME",
        "umpire \\- " + roff_escape(intro[0].strip().rstrip(".")) if intro else "umpire",
        ".SH SYNOPSIS",
        ".B umpire",
        "[\\-\\-quiet] [\\-\\-version] [\\-\\-help]",
        ".I COMMAND",
        "[\\fIARGS\\fR]",
        ".SH DESCRIPTION",
        "Each command has its own options, shown below as",
        ".B umpire COMMAND \\-\\-help",
        "prints them. Results go to standard output; progress and errors to",
        "standard error.",
        ".SH GLOBAL OPTIONS",
    ]
    out += roff_block("\n".join(sec.get("Global options", [])).strip("\n"))
    out.append(".SH COMMANDS")
    for c in cmds:
        out.append('.SS "umpire %s"' % c["name"])
        out.append(roff_escape(c["summary"]))
        out.append(".PP")
        out += roff_block(c["help"])
        for w, t in c["subs"]:
            if t:
                out.append('.SS "umpire %s %s"' % (c["name"], w))
                out += roff_block(t)
    out.append(".SH EXIT STATUS")
    for line in sec.get("Exit status", []):
        m = re.match(r"^\s+(\d+)\s+(.*)$", line)
        if m:
            out += [".TP", ".B %s" % m.group(1), roff_escape(m.group(2))]
    out += [
        ".SH FILES",
        ".TP",
        ".I DATADIR/umpire/",
        "The shipped suites, scaffolds, models, pools, claims and docs. A suite,",
        "models or scaffold named by a bare NAME is looked up as KIND/NAME.yaml in",
        "the current directory, then here; so",
        ".B umpire run demo",
        "runs suites/demo.yaml against models/demo.yaml from any directory.",
        ".TP",
        ".I ~/.config/umpire/",
        "The default signing key pair (\\fB$UMPIRE_KEY_DIR\\fR, else",
        "\\fB$XDG_CONFIG_HOME\\fR/umpire).",
        ".SH SEE ALSO",
        "The guides under DATADIR/umpire/docs, among them cli.md (commands and",
        "exit statuses), suite.md, models.md and bundle.md.",
    ]
    return "\n".join(out) + "\n"


def bash(umpire, version):
    top, cmds = collect(umpire)
    glob = options("\n".join(sections(top).get("Global options", [])))
    lines = [
        "# bash completion for umpire %s, generated from its help texts" % version,
        "# by scripts/gen-cli-docs.py.",
        "_umpire()",
        "{",
        "    local cur cmd i w",
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    cmd=""',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        w="${COMP_WORDS[i]}"',
        '        case "$w" in -*) ;; *) cmd="$w"; break ;; esac',
        "    done",
        '    if [ -z "$cmd" ]; then',
        '        case "$cur" in',
        '        -*) COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;' % " ".join(glob),
        '        *) COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;'
        % " ".join(c["name"] for c in cmds),
        "        esac",
        "        return 0",
        "    fi",
        '    case "$cmd" in',
    ]
    for c in cmds:
        opts = options(c["help"])
        for _, t in c["subs"]:
            if t:
                opts += [o for o in options(t) if o not in opts]
        subs = [w for w, _ in c["subs"]]
        lines.append("    %s)" % c["name"])
        lines.append('        case "$cur" in')
        lines.append('        -*) COMPREPLY=($(compgen -W "%s" -- "$cur")) ;;' % " ".join(opts))
        if subs:
            lines.append('        *) if [ "$i" -eq $((COMP_CWORD - 1)) ]; then')
            lines.append('               COMPREPLY=($(compgen -W "%s" -- "$cur") $(compgen -f -- "$cur"))'
                         % " ".join(subs))
            lines.append("           fi ;;")
        lines.append("        esac ;;")
    lines += [
        "    esac",
        "    return 0",
        "}",
        "complete -o default -o bashdefault -F _umpire umpire",
    ]
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("man", "bash"):
        sys.exit(__doc__)
    what, umpire, out, version = sys.argv[1:]
    text = man(umpire, version) if what == "man" else bash(umpire, version)
    with open(out + ".tmp", "w") as f:
        f.write(text)
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
