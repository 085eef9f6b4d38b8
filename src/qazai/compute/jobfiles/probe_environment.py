"""Import every package of the job environment and print what was found, as one JSON line.

    python -I probe_environment.py job-environment.txt

Standard library only: it runs with the interpreter being checked (the platform's job
environment, or a Slurm node's, as a tiny job). Each line of the requirements file is a
distribution, with ``# import: NAME`` where the module's name differs.
"""

import importlib
import json
import sys
from importlib import metadata


def read_requirements(text: str) -> dict[str, str]:
    """The module to import for each distribution of a requirements file (module -> distribution)."""
    packages = {}
    for line in text.splitlines():
        requirement, _, comment = line.partition("#")
        requirement = requirement.strip()
        if not requirement:
            continue
        for separator in "<>=!~;[ ":
            requirement = requirement.split(separator)[0]
        module = comment.split("import:", 1)[1].strip() if "import:" in comment else requirement
        packages[module] = requirement
    return packages


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        packages = read_requirements(handle.read())
    found, missing = {}, []
    for module, dist in packages.items():
        try:
            importlib.import_module(module)
            found[dist] = metadata.version(dist)
        except Exception as exc:
            missing.append(f"{dist} ({type(exc).__name__})")
    print(json.dumps({"python": sys.version.split()[0], "found": found, "missing": missing}), flush=True)


if __name__ == "__main__":
    main()
