// Test harness: draws of the external-drive Poisson sampler on plain
// arrays, callable from Python through ctypes (tests/test_drive.py).
#include "../plasticity/model/poisson_drive.cpp"

extern "C" int poisson_many(double lam, int n, uint64_t seed, int stream, int32_t* out) {
    plasticity_drive::Stream st;
    st.seed(seed, (uint64_t)stream, 0);
    for (int i = 0; i < n; i++) out[i] = st.poisson(lam);
    return 0;
}

extern "C" int uniform_many(int n, uint64_t seed, int stream, double* out) {
    plasticity_drive::Stream st;
    st.seed(seed, (uint64_t)stream, 0);
    for (int i = 0; i < n; i++) out[i] = st.uniform();
    return 0;
}
