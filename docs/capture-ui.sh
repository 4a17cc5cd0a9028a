#!/usr/bin/env bash
# Regenerates the text captures of the dashboard (docs/ui-*.txt): a generated fleet with a few
# attacks is analysed into a database, `coapwatch ui --db` runs in a 100x30 tmux pane, and each
# view is captured with `tmux capture-pane -p`. Needs tmux and a build (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
session=coapwatch-docs-$$
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT

node bin/coapwatch.js generate --pcap "$work/fleet.pcap" --meters 40 --households 5 --duration 3600 --seed 7 \
  --attack rogue-security-write,execute-reboot,energy-backwards,out-of-range,silent-meter >/dev/null
node bin/coapwatch.js analyze "$work/fleet.pcap" --db "$work/fleet.db" --store-messages --no-progress >/dev/null

tmux new-session -d -s "$session" -x 100 -y 30 "node bin/coapwatch.js ui --db $work/fleet.db; sleep 30"
# Waits until the pane shows $1, then saves it as docs/ui-$2.txt.
capture() {
  for _ in $(seq 100); do
    if tmux capture-pane -p -t "$session" | grep -qF -- "$1"; then
      sleep 0.2
      tmux capture-pane -p -t "$session" | sed -e 's/[[:space:]]*$//' -e "s#$work/##g" > "docs/ui-$2.txt"
      return
    fi
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  tmux capture-pane -p -t "$session" >&2
  exit 1
}
keys() { tmux send-keys -t "$session" "$@"; }
# Waits until the pane shows $1 (a screen already saved).
shown() {
  for _ in $(seq 100); do
    tmux capture-pane -p -t "$session" | grep -qF -- "$1" && return
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  exit 1
}

capture 'Top talkers' overview
keys 2; capture 'ENDPOINT' endpoints
keys / meter-00007 Enter; capture '1/1' endpoints-filtered
keys Enter; capture 'Objects' endpoint
keys f; capture 'Message flow' flow
keys k Enter; capture 'Frame ' message
# Esc and the next key go apart: sent together they read as Alt and the key.
keys Escape; shown 'Message flow'
keys 5; capture 'newest first' events
keys j d; capture 'Evidence' event
keys Enter; capture '▶ event frame' event-messages
keys Escape; shown 'newest first'
keys 6; capture 'oldest first' messages
keys / op:write Enter; capture "of the run's" messages-filtered
keys 5; shown 'newest first'
keys '?'; capture 'Filters' help
keys q q
