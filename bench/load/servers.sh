# Shared by the load comparison scripts (sourced, not run): ports, and
# starting and stopping one server at a time. Callers set bin_dir, die() and
# ref_server (for the yws kind).

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % 20000))  # below the kernel's ephemeral ports, which clients take
    if port_free "$p"; then echo "$p"; return; fi
  done
  die "no free port found"
}

# wait_port PID PORT LOG WHAT: returns once PORT accepts connections.
wait_port() {
  local pid=$1 port=$2 log=$3 what=$4
  for _ in $(seq 200); do
    port_free "$port" || return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "$what exited at start"; }
    sleep 0.05
  done
  die "$what did not listen on port $port"
}

# start_server KIND PORT LOG [conflux serve flags...]: sets server_pid once the
# port accepts connections. KIND is conflux or yws (the reference server).
server_pid=""
start_server() {
  local kind=$1 port=$2 log=$3
  shift 3
  if [ "$kind" = conflux ]; then
    "$bin_dir/conflux" serve --port "$port" --allow-anonymous "$@" >"$log" 2>&1 &
  else
    HOST=127.0.0.1 PORT=$port node "$ref_server" >"$log" 2>&1 &
  fi
  server_pid=$!
  wait_port "$server_pid" "$port" "$log" "the $kind server"
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
