// Test harness: one structural update of the compiled engine on plain
// arrays, callable from Python through ctypes (tests/test_sp_engine.py).
#include "../plasticity/model/sp_engine.cpp"

extern "C" int sp_update_once(int n, int m, const int32_t* pre, const int32_t* post,
                              int32_t* nsyn, double* z_pre, double* z_post, uint64_t seed,
                              int autapses, int multapses, int continuous, double* out) {
    using namespace plasticity_sp;
    std::vector<int32_t> vpre(pre, pre + m), vpost(post, post + m), vn(nsyn, nsyn + m);
    std::vector<double> cpre(n, 0.0), cpost(n, 0.0);
    Element a{z_pre, cpre.data(), n, 0.1, (bool)continuous};
    Element b{z_post, cpost.data(), n, 0.1, (bool)continuous};
    Pool p;
    double sn = 0, sc = 0, sd = 0;
    p.pre = &vpre; p.post = &vpost; p.nsyn = &vn;
    p.pre_side = 0; p.post_side = 0; p.n_post = n; p.recurrent = true;
    p.stat_n = &sn; p.stat_created = &sc; p.stat_deleted = &sd;
    p.created = 0; p.deleted = 0;
    prepare(p, n);
    Type t;
    t.pre.push_back(&a); t.post.push_back(&b); t.pools.push_back(&p);
    t.autapses = autapses != 0; t.multapses = multapses != 0;
    recount(t);
    std::mt19937_64 gen(seed);
    update_type(t, gen);
    out[0] = p.deleted;
    out[1] = p.created;
    for (int k = 0; k < m; k++) nsyn[k] = vn[k];
    return 0;
}

// One decay of vacant elements (the end of an update), at a growth scale.
extern "C" int decay_once(int n, double* z, const double* conn, double tau_vacant,
                          double scale) {
    using namespace plasticity_sp;
    std::vector<double> c(conn, conn + n);
    Element e{z, c.data(), n, tau_vacant, true};
    decay_vacant(&e, scale);
    return 0;
}
