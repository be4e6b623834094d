// Poisson counts for the external drive, fast and exact, inside Brian2's
// generated code (plasticity.model.drive wraps it as a Brian2 Function).
//
// Brian2's own poisson() draws by the multiplication method with its
// Mersenne twister: about lambda + 1 uniforms of two 32-bit draws each and
// one exp() per neuron and time step. The 10 kHz drive of NEST's
// structural-plasticity example (lambda = 1 per 0.1 ms step) then takes
// about 70 % of the run (measured with Brian2's profiler). Here:
//
// * uniforms come from xoshiro256+ (Blackman & Vigna 2021, "Scrambled linear
//   pseudorandom number generators", ACM TOMS 47:36), one 64-bit draw per
//   double, its 53 high bits; states are seeded by splitmix64 (Steele, Lea &
//   Flood 2014) from the run's seed, a stream number per call site and the
//   OpenMP thread;
// * counts come from inversion with a guide table (Chen & Asau 1974;
//   Devroye 1986, "Non-uniform random variate generation", sec. III.2.4):
//   the cumulative distribution of Poisson(lambda) is tabulated once per
//   lambda (a call site's lambda is a shared constant), and one uniform and
//   on average fewer than two comparisons give the count. The table stops
//   where the tail mass is below 1e-17, below the resolution of a double
//   uniform; lambdas above LAMBDA_MAX are split into equal parts whose
//   counts are summed (a sum of Poissons is Poisson), so the draw is exact
//   up to that truncation for every lambda.
#include <cmath>
#include <cstdint>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace plasticity_drive {

const double LAMBDA_MAX = 64.0;
const int MAX_THREADS = 256;
const int CACHE = 4;

inline uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

struct Table {           // inversion table of one lambda
    double lambda = -1.0;
    std::vector<double> cdf;   // cdf[k] = P(X <= k); last entry forced to 2
    std::vector<int> guide;    // guide[j] = min k with cdf[k] > j / m
};

struct Stream {
    uint64_t s[4];
    bool seeded = false;
    Table tables[CACHE];
    int next_slot = 0;

    void seed(uint64_t seed, uint64_t stream, uint64_t thread) {
        uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL) ^ (thread * 0x2545f4914f6cdd1dULL);
        for (int i = 0; i < 4; i++) s[i] = splitmix64(x);
        seeded = true;
    }

    inline double uniform() {   // xoshiro256+, 53 high bits, in [0, 1)
        const uint64_t result = s[0] + s[3];
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return (double)(result >> 11) * (1.0 / 9007199254740992.0);   // 2^-53
    }

    const Table& table(double lambda) {
        for (int i = 0; i < CACHE; i++)
            if (tables[i].lambda == lambda) return tables[i];
        Table& tab = tables[next_slot];
        next_slot = (next_slot + 1) % CACHE;
        tab.lambda = lambda;
        tab.cdf.clear();
        double p = std::exp(-lambda), sum = p;
        tab.cdf.push_back(sum);
        // past the mode the terms fall at least geometrically (ratio
        // lambda / k), so the tail beyond k is below p (k+1) / (k+1-lambda)
        for (int k = 1; k < 100000; k++) {
            p *= lambda / k;
            sum += p;
            tab.cdf.push_back(sum);
            if (k > lambda && p * (k + 1) / (k + 1 - lambda) < 1e-17) break;
        }
        tab.cdf.back() = 2.0;   // every uniform < 1 stops here
        const int m = (int)tab.cdf.size();
        tab.guide.assign(m, 0);
        int k = 0;
        for (int j = 0; j < m; j++) {
            while (tab.cdf[k] <= (double)j / m) k++;
            tab.guide[j] = k;
        }
        return tab;
    }

    inline int32_t draw(const Table& tab) {
        const double u = uniform();
        const int m = (int)tab.guide.size();
        int j = (int)(u * m);
        if (j >= m) j = m - 1;   // u * m can round up to m
        int k = tab.guide[j];
        while (u >= tab.cdf[k]) k++;
        return k;
    }

    int32_t poisson(double lambda) {
        if (!(lambda > 0.0)) return 0;
        int parts = 1;
        if (lambda > LAMBDA_MAX) parts = (int)std::ceil(lambda / LAMBDA_MAX);
        const Table& tab = table(lambda / parts);
        int32_t count = 0;
        for (int i = 0; i < parts; i++) count += draw(tab);
        return count;
    }
};

inline int thread_number() {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

// One generator per (stream, thread); streams are the call sites.
inline int32_t poisson_draw(double lambda, int stream, uint64_t seed, Stream* streams) {
    const int thread = thread_number() % MAX_THREADS;
    Stream& st = streams[thread];
    if (!st.seeded) st.seed(seed, (uint64_t)stream, (uint64_t)thread);
    return st.poisson(lambda);
}

}  // namespace plasticity_drive
