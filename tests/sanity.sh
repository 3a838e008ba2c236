#!/usr/bin/env bash
# ansible-test sanity, offline. ansible-test wants the collection at ansible_collections/<ns>/<name> with
# its dependencies beside it, and downloads a pip bootstrap script from ci-files.testing.ansible.com (not
# reachable here). We copy the committed files into such a tree, link amazon.aws from the venv, and put
# a stand-in bootstrap in ansible-test's cache: it installs pip with ensurepip, then the requested
# packages from PyPI through the machine's normal pip configuration.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target=$work/ansible_collections/stackops/platform
mkdir -p "$target" "$work/ansible_collections/amazon"
(cd "$root" && git ls-files | grep -v '^\.collections/' | tar -cf - -T -) | tar -xf - -C "$target"
ln -s "$venv/lib/python3.11/site-packages/ansible_collections/amazon/aws" "$work/ansible_collections/amazon/aws"
# The pip version ansible-test bootstraps is pinned in its python_requirements.py (pip='24.2' today).
pip_version=$(grep -oP "pip='\K[0-9.]+" "$venv"/lib/python3.11/site-packages/ansible_test/_internal/python_requirements.py | head -1)
cache=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
if [ ! -f "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  cat > "$cache" <<'PY'
import ensurepip, os, subprocess, sys
ensurepip.bootstrap(upgrade=False)
env = {k: v for k, v in os.environ.items() if k not in ("PIP_CONFIG_FILE", "ENSUREPIP_OPTIONS")}
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args], env=env))
PY
fi
cd "$target"
git init -q && git add -A
"$venv/bin/ansible-test" sanity --python 3.11 "$@"
