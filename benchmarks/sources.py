"""The Cython sources the benchmark builds (the same text for cython_pin and for Cython's ``%%cython``)."""

from __future__ import annotations

# P1, P2, P3, P5: the tiny module of the issue.
TINY = "def f(int n):\n    return n*n\n"
TINY_CALL = ("f", 7, 49)

# P3w: the second cell of a session (a new source, built in a process that already built one).
TINY2 = "def g(int n):\n    return n*n + 1\n"
TINY2_CALL = ("g", 7, 50)

# P3bw: an earlier small memoryview module in the same cache (another notebook's cell, built in its own
# process), so the numeric module finds the toolchain's shared utility module and precompiled header there.
MV_SEED = "def first(double[:] a):\n    return a.shape[0]\n\ndef ok():\n    return 1\n"
MV_SEED_CALL = ("ok", None, 1)

# P3b: a ~300-line typed numeric module (memoryviews, typed loops, libc.math, a cdef class), built with
# profile release (ours) / Python's CFLAGS (the magic). Called with array.array('d') buffers, no numpy.
NUMERIC = '''\
# cython: boundscheck=False, wraparound=False, cdivision=True
from libc.math cimport sqrt, exp, fabs, log, sin, cos


cdef inline double _sq(double x) nogil:
    return x * x


cdef inline double _clamp(double x, double lo, double hi) nogil:
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def total(double[:] a):
    cdef Py_ssize_t i
    cdef double s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


def mean(double[:] a):
    cdef Py_ssize_t n = a.shape[0]
    if n == 0:
        return 0.0
    return total(a) / n


def variance(double[:] a):
    cdef Py_ssize_t i, n = a.shape[0]
    cdef double m, s = 0.0
    if n < 2:
        return 0.0
    m = mean(a)
    for i in range(n):
        s += _sq(a[i] - m)
    return s / (n - 1)


def stddev(double[:] a):
    return sqrt(variance(a))


def dot(double[:] a, double[:] b):
    cdef Py_ssize_t i, n = min(a.shape[0], b.shape[0])
    cdef double s = 0.0
    for i in range(n):
        s += a[i] * b[i]
    return s


def norm2(double[:] a):
    return sqrt(dot(a, a))


def axpy(double alpha, double[:] x, double[:] y):
    cdef Py_ssize_t i, n = min(x.shape[0], y.shape[0])
    for i in range(n):
        y[i] = alpha * x[i] + y[i]


def scale(double[:] a, double factor):
    cdef Py_ssize_t i
    for i in range(a.shape[0]):
        a[i] *= factor


def clip(double[:] a, double lo, double hi):
    cdef Py_ssize_t i
    for i in range(a.shape[0]):
        a[i] = _clamp(a[i], lo, hi)


def prefix_sum(double[:] a, double[:] out):
    cdef Py_ssize_t i
    cdef double s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
        out[i] = s


def running_max(double[:] a, double[:] out):
    cdef Py_ssize_t i
    cdef double m
    if a.shape[0] == 0:
        return
    m = a[0]
    for i in range(a.shape[0]):
        if a[i] > m:
            m = a[i]
        out[i] = m


def argmax(double[:] a):
    cdef Py_ssize_t i, best = 0
    for i in range(1, a.shape[0]):
        if a[i] > a[best]:
            best = i
    return best


def argmin(double[:] a):
    cdef Py_ssize_t i, best = 0
    for i in range(1, a.shape[0]):
        if a[i] < a[best]:
            best = i
    return best


def convolve(double[:] signal, double[:] kernel, double[:] out):
    cdef Py_ssize_t i, j, n = signal.shape[0], k = kernel.shape[0]
    cdef double s
    for i in range(n - k + 1):
        s = 0.0
        for j in range(k):
            s += signal[i + j] * kernel[j]
        out[i] = s


def moving_average(double[:] a, int window, double[:] out):
    cdef Py_ssize_t i, n = a.shape[0]
    cdef double s = 0.0
    for i in range(n):
        s += a[i]
        if i >= window:
            s -= a[i - window]
        out[i] = s / (window if i >= window - 1 else i + 1)


def histogram(double[:] a, double lo, double hi, long[:] counts):
    cdef Py_ssize_t i, b, nb = counts.shape[0]
    cdef double width = (hi - lo) / nb
    for i in range(a.shape[0]):
        if a[i] < lo or a[i] >= hi:
            continue
        b = <Py_ssize_t>((a[i] - lo) / width)
        if b >= nb:
            b = nb - 1
        counts[b] += 1


def horner(double[:] coeffs, double x):
    cdef Py_ssize_t i
    cdef double r = 0.0
    for i in range(coeffs.shape[0]):
        r = r * x + coeffs[i]
    return r


def newton_sqrt(double x, int iterations=30):
    cdef int i
    cdef double g = x if x > 1.0 else 1.0
    if x <= 0.0:
        return 0.0
    for i in range(iterations):
        g = 0.5 * (g + x / g)
    return g


cdef double _gauss(double x) nogil:
    return exp(-0.5 * x * x)


def simpson_gauss(double a, double b, int n):
    cdef int i
    cdef double h, s
    if n % 2:
        n += 1
    h = (b - a) / n
    s = _gauss(a) + _gauss(b)
    for i in range(1, n):
        s += (4.0 if i % 2 else 2.0) * _gauss(a + i * h)
    return s * h / 3.0


def trapezoid(double[:] y, double dx):
    cdef Py_ssize_t i, n = y.shape[0]
    cdef double s = 0.0
    if n < 2:
        return 0.0
    for i in range(1, n):
        s += 0.5 * (y[i] + y[i - 1]) * dx
    return s


def mandelbrot_count(double cx, double cy, int max_iter):
    cdef double x = 0.0, y = 0.0, xt
    cdef int i
    for i in range(max_iter):
        if x * x + y * y > 4.0:
            return i
        xt = x * x - y * y + cx
        y = 2.0 * x * y + cy
        x = xt
    return max_iter


def matmul(double[:, :] a, double[:, :] b, double[:, :] c):
    cdef Py_ssize_t i, j, k
    cdef Py_ssize_t n = a.shape[0], m = b.shape[1], p = a.shape[1]
    cdef double s
    for i in range(n):
        for j in range(m):
            s = 0.0
            for k in range(p):
                s += a[i, k] * b[k, j]
            c[i, j] = s


def transpose(double[:, :] a, double[:, :] out):
    cdef Py_ssize_t i, j
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[j, i] = a[i, j]


def insertion_sort(double[:] a):
    cdef Py_ssize_t i, j
    cdef double v
    for i in range(1, a.shape[0]):
        v = a[i]
        j = i - 1
        while j >= 0 and a[j] > v:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v


def log_sum_exp(double[:] a):
    cdef Py_ssize_t i, n = a.shape[0]
    cdef double m, s = 0.0
    if n == 0:
        return float("-inf")
    m = a[<Py_ssize_t>argmax(a)]
    for i in range(n):
        s += exp(a[i] - m)
    return m + log(s)


def rotate(double[:] xs, double[:] ys, double angle):
    cdef Py_ssize_t i
    cdef double c = cos(angle), s = sin(angle), x
    for i in range(min(xs.shape[0], ys.shape[0])):
        x = xs[i]
        xs[i] = c * x - s * ys[i]
        ys[i] = s * x + c * ys[i]


def max_abs_diff(double[:] a, double[:] b):
    cdef Py_ssize_t i
    cdef double d, m = 0.0
    for i in range(min(a.shape[0], b.shape[0])):
        d = fabs(a[i] - b[i])
        if d > m:
            m = d
    return m


cdef class Lcg:
    """A small linear congruential generator (typed state, C arithmetic)."""
    cdef unsigned long long state

    def __init__(self, unsigned long long seed=1):
        self.state = seed

    cpdef double uniform(self):
        self.state = (6364136223846793005ULL * self.state + 1442695040888963407ULL)
        return (self.state >> 11) * (1.0 / 9007199254740992.0)

    def fill(self, double[:] out):
        cdef Py_ssize_t i
        for i in range(out.shape[0]):
            out[i] = self.uniform()


cdef class RunningStats:
    """Welford's online mean and variance."""
    cdef public long n
    cdef public double m, s

    def __init__(self):
        self.n = 0
        self.m = 0.0
        self.s = 0.0

    cpdef push(self, double x):
        cdef double d = x - self.m
        self.n += 1
        self.m += d / self.n
        self.s += d * (x - self.m)

    def push_all(self, double[:] a):
        cdef Py_ssize_t i
        for i in range(a.shape[0]):
            self.push(a[i])

    @property
    def variance(self):
        return self.s / (self.n - 1) if self.n > 1 else 0.0


def nbody_step(double[:, :] pos, double[:, :] vel, double[:] mass, double dt):
    cdef Py_ssize_t i, j, n = pos.shape[0]
    cdef double dx, dy, dz, d2, inv, f
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            dx = pos[j, 0] - pos[i, 0]
            dy = pos[j, 1] - pos[i, 1]
            dz = pos[j, 2] - pos[i, 2]
            d2 = dx * dx + dy * dy + dz * dz + 1e-9
            inv = 1.0 / (d2 * sqrt(d2))
            f = mass[j] * inv * dt
            vel[i, 0] += dx * f
            vel[i, 1] += dy * f
            vel[i, 2] += dz * f
    for i in range(n):
        pos[i, 0] += vel[i, 0] * dt
        pos[i, 1] += vel[i, 1] * dt
        pos[i, 2] += vel[i, 2] * dt


def kmeans_assign(double[:] xs, double[:] centers, long[:] labels):
    cdef Py_ssize_t i, k, best
    cdef double d, bd
    for i in range(xs.shape[0]):
        best = 0
        bd = _sq(xs[i] - centers[0])
        for k in range(1, centers.shape[0]):
            d = _sq(xs[i] - centers[k])
            if d < bd:
                bd = d
                best = k
        labels[i] = best


def self_check():
    """Exercise a few functions; returns a float the benchmark compares."""
    from array import array
    a = array("d", [float(i % 7) for i in range(100)])
    b = array("d", [1.0] * 100)
    out = array("d", [0.0] * 100)
    prefix_sum(a, out)
    return round(mean(a) + dot(a, b) + out[99] + simpson_gauss(-1.0, 1.0, 100), 6)
'''
NUMERIC_CALL = ("self_check", None, None)  # result compared between the two sides, not to a constant
