#!/bin/sh
# One image for every role, chosen by the command: bus, gateway, worker, or itinera … (the CLI).
# exec: node replaces this shell, so the init process (tini) signals node itself and
# SIGTERM runs the graceful drain.
set -eu

# The install folder is two levels up from this script (/app in the image).
APP_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")/../.." && pwd)
NODE_FLAGS="--enable-source-maps"

usage() {
  cat >&2 <<USAGE
usage: <image> bus | gateway | worker       (settings from the environment; node flags in NODE_OPTIONS)
       <image> itinera <command> [options]   (validate, graph, send, trace, faults; itinera --help)
       <image> <any other command>           (run as is, e.g. sh)
USAGE
}

role=${1:-bus}
[ "$#" -gt 0 ] && shift
case "$role" in
  bus | gateway | worker)
    exec node $NODE_FLAGS "$APP_DIR/dist/apps/$role/main.js" "$@"
    ;;
  itinera | cli)
    exec node $NODE_FLAGS "$APP_DIR/dist/apps/cli/main.js" "$@"
    ;;
  -h | --help | help)
    usage
    exit 0
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
