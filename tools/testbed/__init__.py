#!/usr/bin/env python3
"""A real Docker Swarm for the tests and the demo, without touching the machine's own Docker.

Subcommands (other tooling calls them by these names):

  up        make sure a swarm manager answers; fast when it already does
  nodes N   grow the private swarm to N nodes (1 manager + N-1 workers)
  node-stop K [--kill]  stop worker K's dockerd (SIGTERM; --kill: SIGKILL, a crash): node loss
  node-start K          start worker K's dockerd again and wait until the manager sees it ready
  env       print `export` lines: eval "$(scripts/testbed env)"
  status    print the mode, the engine and the nodes
  down      stop and remove everything `up` and `nodes` made

`up` uses an engine that is already a swarm manager ($DOCKER_HOST, else the default socket).
Otherwise it starts a private dockerd whose data, sockets, bridges and cgroups all carry
this test bed's names, so a user's own Docker (/var/run/docker.sock, /var/lib/docker,
docker0, docker_gwbridge, its iptables chains) is never touched:

- node 0 (the manager) runs in the host network namespace, so ports a service publishes in
  `host` mode answer on 127.0.0.1. Its default bridge is `swtb-docker0` and its
  docker_gwbridge is `swtb-gwbridge`, both ours. It advertises 192.168.77.1 on bridge `swtb0`.
- node K (a worker) runs in network namespace `swtb-nodeK` with 192.168.77.(K+1) on a veth
  into `swtb0`; its bridges live inside that namespace.
- every node has its own UTS namespace (hostname `swtb-nodeK`), its own cgroup parent, and
  runs with --iptables=false --ip-forward=false: no rule of ours in the host's tables except
  one FORWARD accept between the nodes, and no task traffic can leave the machine (worker
  namespaces have no default route for the same reason).
- DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 makes the engines run tasks from the local image
  instead of trying a registry first: nothing can be pulled here, and a worker would wait
  ~20 s for DNS before falling back to its local copy.

One test bed per machine: the bridge, namespace and address names are fixed. Its state lives
in `.testbed` of the checkout that started it; SWARM_TESTBED_HOME names that checkout when the
script of another one (a git worktree sharing the swarm) must act on it, e.g. `node-stop`.

Engine: Debian's docker.io (20.10, API 1.41) by default. SWARM_TESTBED_ENGINE=28 makes
`up` start the private swarm on the current engine that scripts/engine builds (pinned in
tools/engine/go.mod), and `nodes` its workers too; the choice is kept until `down`. Set
with an external swarm, it only checks that engine's version.
"""
