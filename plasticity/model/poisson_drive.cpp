// Poisson counts for the external drive, fast and exact, inside Brian2's
// generated code (plasticity.model.drive wraps it as a Brian2 Function).
//
// Brian2's own poisson() draws by the multiplication method with its
// Mersenne twister: about lambda + 1 uniforms of two 32-bit draws each and
// one exp() per neuron and time step. The 10 kHz drive of NEST's
// structural-plasticity example (lambda = 1 per 0.1 ms step) then takes
// about 70 % of the run (measured with Brian2's profiler). Here:
//
// * random bits come from xoshiro256+ (Blackman & Vigna 2021, "Scrambled
//   linear pseudorandom number generators", ACM TOMS 47:36), seeded by
//   splitmix64 (Steele, Lea & Flood 2014) from the run's seed, a stream
//   number per call site and the OpenMP thread;
// * counts come from an alias table (Walker 1977; Vose 1991) of the Poisson
//   probabilities, built once per lambda (a call site's lambda is a shared
//   constant): one 64-bit draw, its top bits choosing an entry and the next
//   53 bits the uniform compared with that entry's probability, and no
//   branch on the outcome (a guide-table inversion, tried first, lost a
//   third of its time to mispredicted branches). The table stops where the
//   tail mass is below 1e-17, below the resolution of a 53-bit uniform;
//   lambdas above LAMBDA_MAX are split into equal parts whose counts are
//   summed (a sum of Poissons is Poisson), so the draw is exact up to that
//   truncation for every lambda.
#include <cmath>
#include <cstdint>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace plasticity_drive {

const double LAMBDA_MAX = 64.0;   // keeps tables within 2^11 entries
const int MAX_THREADS = 256;
const int CACHE = 4;

inline uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

struct Table {           // alias table of one lambda (Vose 1991)
    double lambda = -1.0;
    int bits = 0;              // the table has 2^bits entries
    std::vector<double> prob;  // keep entry i with probability prob[i] ...
    std::vector<int32_t> alias;  // ... else take alias[i]
};

// Poisson(lambda) probabilities up to where the tail is below 1e-17 (the
// last entry takes the tail), as an alias table of a power-of-two size:
// Vose, M. D. (1991) A linear algorithm for generating random numbers with
// a given distribution. IEEE Trans Softw Eng 17:972.
inline void build_table(Table& tab, double lambda) {
    std::vector<double> pmf;
    double p = std::exp(-lambda), sum = p;
    pmf.push_back(p);
    // past the mode the terms fall at least geometrically (ratio lambda / k),
    // so the tail beyond k is below p (k+1) / (k+1-lambda)
    for (int k = 1; k < 100000; k++) {
        p *= lambda / k;
        sum += p;
        pmf.push_back(p);
        if (k > lambda && p * (k + 1) / (k + 1 - lambda) < 1e-17) break;
    }
    pmf.back() += 1.0 - sum;    // the tail (and rounding) to the last count
    int bits = 0;
    while ((1 << bits) < (int)pmf.size()) bits++;
    const int n = 1 << bits;
    pmf.resize(n, 0.0);
    tab.lambda = lambda;
    tab.bits = bits;
    tab.prob.assign(n, 1.0);
    tab.alias.resize(n);
    std::vector<double> q(n);
    std::vector<int32_t> small, large;
    for (int i = 0; i < n; i++) {
        q[i] = pmf[i] * n;
        tab.alias[i] = i;
        (q[i] < 1.0 ? small : large).push_back(i);
    }
    while (!small.empty() && !large.empty()) {
        const int32_t s = small.back(), l = large.back();
        small.pop_back();
        tab.prob[s] = q[s];
        tab.alias[s] = l;
        q[l] = (q[l] + q[s]) - 1.0;
        if (q[l] < 1.0) { large.pop_back(); small.push_back(l); }
    }
    // what is left has q = 1 up to rounding: keep it always
    for (int32_t i : small) tab.prob[i] = 1.0;
    for (int32_t i : large) tab.prob[i] = 1.0;
}

struct Stream {
    uint64_t s[4];
    bool seeded = false;
    Table tables[CACHE];
    int next_slot = 0;
    const Table* last = nullptr;   // the table of the last call (the hot path)

    void seed(uint64_t seed, uint64_t stream, uint64_t thread) {
        uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL) ^ (thread * 0x2545f4914f6cdd1dULL);
        for (int i = 0; i < 4; i++) s[i] = splitmix64(x);
        seeded = true;
    }

    inline double uniform() {   // 53 high bits of one draw, in [0, 1)
        return (double)(next() >> 11) * (1.0 / 9007199254740992.0);   // 2^-53
    }

    const Table& table(double lambda) {
        for (int i = 0; i < CACHE; i++)
            if (tables[i].lambda == lambda) return tables[i];
        Table& tab = tables[next_slot];
        next_slot = (next_slot + 1) % CACHE;
        build_table(tab, lambda);
        return tab;
    }

    inline uint64_t next() {   // xoshiro256+
        const uint64_t result = s[0] + s[3];
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }

    // One 64-bit draw: its top `bits` bits pick the entry, the 53 bits below
    // them the uniform compared with its probability (bits <= 11). No branch
    // on the random outcome.
    inline int32_t draw(const Table& tab) {
        const uint64_t r = next();
        const uint64_t i = tab.bits ? r >> (64 - tab.bits) : 0;
        const double u = (double)((r << tab.bits) >> 11) * (1.0 / 9007199254740992.0);
        return u < tab.prob[i] ? (int32_t)i : tab.alias[i];
    }

    inline int32_t poisson(double lambda) {
        // a call site draws with one lambda over and over: reuse its table
        if (last != nullptr && last->lambda == lambda) return draw(*last);
        if (!(lambda > 0.0)) return 0;
        if (lambda <= LAMBDA_MAX) {
            last = &table(lambda);
            return draw(*last);
        }
        const int parts = (int)std::ceil(lambda / LAMBDA_MAX);
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
