"""Container work the command's tree hands to an engine (docker, podman, BuildKit): which
containers are the run's, and what the kernel's cgroup accounting says they used."""
