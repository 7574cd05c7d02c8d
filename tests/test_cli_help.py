"""Every command documents each option and ends its help with an example that names real
options (issue 14); ``wildtrace --help`` loads no command module."""

from __future__ import annotations

import shlex
import subprocess
import sys

import click

from wildtrace import plugins
from wildtrace.cli import load_commands


def _commands() -> list[tuple[list[str], click.Command]]:
    load_commands()
    out: list[tuple[list[str], click.Command]] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            out.append((path, cmd))

    for name in plugins.commands.names():
        walk(plugins.commands.get(name), [name])
    return out


def test_every_option_has_help_and_every_command_an_example() -> None:
    no_help = [(" ".join(p), o.opts[0]) for p, c in _commands() for o in c.params
               if isinstance(o, click.Option) and not o.help]
    assert no_help == []
    no_example = [" ".join(p) for p, c in _commands() if "Example:" not in (c.help or "")]
    assert no_example == []


def test_each_example_uses_the_command_and_options_it_documents() -> None:
    wrong = []
    for path, cmd in _commands():
        line = next(ln for ln in (cmd.help or "").splitlines() if "Example:" in ln)
        example = line.split("Example:", 1)[1].split("|")[-1].strip()
        words = shlex.split(example)
        assert words[0] == "wildtrace", example
        if words[1:1 + len(path)] != path:
            wrong.append((path, example))
            continue
        known = {opt for p in cmd.params for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
        wrong += [(path, w) for w in words if w.startswith("-") and w not in known and w != "-"]
    assert wrong == []


def test_top_level_help_is_quick_to_load() -> None:
    code = ("import sys; from wildtrace.cli import cli\n"
            "try:\n    cli(['--help'], prog_name='wildtrace')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('wildtrace.cli.')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"  # lazy: no command module imported for --help


def test_the_readme_lists_every_command_with_its_example() -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = []
    for path, cmd in _commands():
        line = next(ln for ln in (cmd.help or "").splitlines() if "Example:" in ln)
        example = line.split("Example:", 1)[1].strip().replace("|", "\\|")
        if f"| `{' '.join(path)}` |" not in readme or example not in readme:
            missing.append(" ".join(path))
    assert missing == []
