#!/usr/bin/env python3
"""Prints the command line a systemd unit of deploy/systemd would run, one argument per line, so
the network lab (scripts/netlab.sh) starts its services with the units' own flags rather than a
copy of them that could drift.

    unit_command.py UNIT [--instance I] [--env-file F] [--hostname H] [--root DIR] [--bin DIR]

Follows systemd's rules for what the units use: Environment= lines, then the EnvironmentFile
(--env-file stands for it; its values override), the specifiers %i, %d/NAME (the file the
credential NAME is loaded from), %H and %%, ${VAR} replaced inside a word and $VAR split at spaces into
words. Absolute paths under /etc/switchyard and /var/lib/switchyard are moved under --root, and
/usr/local/bin under --bin.
"""
import argparse
import re
import shlex
import sys


def service_section(text):
    """The [Service] section's settings in order, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    section, settings = None, []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]" and "=" in line:
            key, value = line.split("=", 1)
            settings.append((key.strip(), value.strip()))
    return settings


def read_env_file(path):
    env = {}
    with open(path) as file:
        for line in file:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key.strip()] = " ".join(shlex.split(value)) if value.strip() else ""
    return env


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("unit")
    parser.add_argument("--instance", default="")
    parser.add_argument("--env-file")
    parser.add_argument("--hostname", default="localhost")
    parser.add_argument("--root", required=True, help="stands for / in the unit's /etc/switchyard and /var/lib/switchyard")
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()

    settings = service_section(open(args.unit).read())
    env = {}
    for key, value in settings:
        if key == "Environment":
            for assignment in shlex.split(value):
                name, _, content = assignment.partition("=")
                env[name] = content
    if args.env_file:
        env.update(read_env_file(args.env_file))
    exec_start = [value for key, value in settings if key == "ExecStart"]
    if len(exec_start) != 1:
        sys.exit(f"{args.unit}: expected one ExecStart, found {len(exec_start)}")

    # %d/NAME is the credential NAME: the file its LoadCredential= line names.
    credentials = dict(value.split(":", 1) for key, value in settings if key == "LoadCredential")
    line = re.sub(r"%d/([A-Za-z0-9_.-]+)", lambda m: credentials[m.group(1)], exec_start[0])
    specifiers = {"i": args.instance, "H": args.hostname, "%": "%"}
    line = re.sub(r"%(.)", lambda m: specifiers[m.group(1)], line)
    words = []
    for word in shlex.split(line):
        if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
            words += env.get(word[1:], "").split()
            continue
        word = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word)
        for prefix in ("/etc/switchyard", "/var/lib/switchyard"):
            word = word.replace(prefix, args.root + prefix)
        words.append(word.replace("/usr/local/bin/", args.bin.rstrip("/") + "/"))
    print("\n".join(words))


if __name__ == "__main__":
    main()
