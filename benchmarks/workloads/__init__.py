"""The CPU workloads of ``bench_cpu.py`` (issue 16), one module each.

Every module defines ``prepare(spec)`` (writes the data, the example order and numbanet's
initial weights into ``spec["folder"]`` and returns the workload's title, targets and size) and
the contenders ``run_numbanet_fit``, ``run_numbanet_loop``, ``run_numpy`` and ``run_torch``, each
called in its own fresh process by ``_child.py`` and returning its time, its amount of work and
a correctness check. Only the numbanet contenders (and ``prepare``) import numbanet; only
``run_torch`` imports torch.
"""
