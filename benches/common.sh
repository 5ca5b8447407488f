# Helpers the benchmark scripts share: sourced, not run.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for_port() {
  for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "nothing listens on port $1" >&2
  return 1
}

# Starts the release kmipd on the config $1, a fresh data dir under $work and a free port;
# sets `pid` and `port`. On exit the script stops it and removes $work.
start_kmipd() {
  port="$(free_port)"
  target/release/kmipd --config "$1" --port "$port" --http-port 0 --data-dir "$work/data" >/dev/null 2>"$work/kmipd.err" &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
  wait_for_port "$port"
}
