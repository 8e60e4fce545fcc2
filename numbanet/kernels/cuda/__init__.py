"""numba.cuda kernels, twins of ``kernels.cpu`` by file and function name.

Every module lists its kernels and the signatures they are compiled for in ``PTX_SIGNATURES``,
which the PTX lane of the tests uses to compile each one for a real architecture.
"""
