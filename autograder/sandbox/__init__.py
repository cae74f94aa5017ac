"""The sandbox side: the bubblewrap command (``bwrap``), the cgroups that bound a sandbox as a
whole (``cgroup``), the grader's scratch copy of a submission (``scratch``), and the runner that
executes the notebook inside the sandbox and streams its observations out (``inside``)."""
