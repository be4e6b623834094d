// The structural update of the clinical clock: between two network windows,
// synapses change over clinical hours and days at clinical update times
// (plasticity.simulation.clinical). Each update does, for one plastic
// pathway (one synapse type of the engine in sp_engine.cpp):
//   1. intrinsic turnover: every new (immature) synapse leaves its state at
//      rate k_leave_new, to elimination (share frac_new_elim[u][j] of its
//      target j at update u) or to the stable state; every stable synapse is eliminated at rate
//      k_stable. Elimination frees the element on both sides, as a deletion
//      does, or (remove_elements) removes both elements with the synapse;
//   2. growth: z += dt * dz/dt of each neuron's element, dz/dt given by the
//      caller per update (dz_pre[u][i], dz_post[u][j]: the calcium of the last
//      window, constitutive formation, growth factors), z clipped at 0;
//   3. NEST's update on those elements (update_type: deletion of excess,
//      random pairing of vacancies); the synapses it forms are new;
//   4. vacant elements decay by tau_vacant (NEST's end of an update).
// Called from Python through ctypes; arrays are the caller's.
#include "sp_engine.cpp"

namespace {

int binomial(int n, double p, std::mt19937_64& gen) {
    if (n <= 0 || p <= 0.0) return 0;
    if (p >= 1.0) return n;
    if (n == 1) return std::uniform_real_distribution<double>(0.0, 1.0)(gen) < p ? 1 : 0;
    return std::binomial_distribution<int>(n, p)(gen);
}

}  // namespace

extern "C" int clinical_updates(
    int n_pre, int n_post, int64_t m, const int32_t* pre, const int32_t* post,
    int32_t* nsyn, int32_t* nnew, double* z_pre, double* z_post,
    const double* dz_pre, const double* dz_post,
    int recurrent, int autapses, int multapses, int continuous_pre, int continuous_post,
    double tau_vacant_pre, double tau_vacant_post,
    int n_updates, double dt_s, double k_leave_new, const double* frac_new_elim,
    double k_stable, int remove_elements, uint64_t seed, double* out) {
    using namespace plasticity_sp;
    std::vector<int32_t> vpre(pre, pre + m), vpost(post, post + m), vn(nsyn, nsyn + m);
    std::vector<double> conn_pre(n_pre, 0.0), conn_post(n_post, 0.0);
    Element a{z_pre, conn_pre.data(), n_pre, tau_vacant_pre, continuous_pre != 0};
    Element b{z_post, conn_post.data(), n_post, tau_vacant_post, continuous_post != 0};
    Pool p;
    double stat_n = 0, stat_c = 0, stat_d = 0;
    p.pre = &vpre; p.post = &vpost; p.nsyn = &vn;
    p.pre_side = 0; p.post_side = 0; p.n_post = n_post; p.recurrent = recurrent != 0;
    p.stat_n = &stat_n; p.stat_created = &stat_c; p.stat_deleted = &stat_d;
    p.created = 0; p.deleted = 0;
    prepare(p, n_pre);
    Type t;
    t.pre.push_back(&a); t.post.push_back(&b); t.pools.push_back(&p);
    t.autapses = autapses != 0; t.multapses = multapses != 0;
    recount(t);
    std::vector<Type> types(1, t);
    std::vector<Element*> all = {&a, &b};
    std::mt19937_64 gen(seed);
    const double p_leave = 1.0 - std::exp(-k_leave_new * dt_s);
    const double p_stable = 1.0 - std::exp(-k_stable * dt_s);
    std::vector<int32_t> before;
    for (int u = 0; u < n_updates; u++) {
        Type& ty = types[0];
        // 1. intrinsic turnover
        const double* frac_u = frac_new_elim + (size_t)u * n_post;
        double eliminated = 0, matured = 0;
        for (int64_t k = 0; k < m; k++) {
            const int32_t total = vn[k];
            if (total <= 0) continue;
            const int32_t fresh = std::min(nnew[k], total);
            const int leave = binomial(fresh, p_leave, gen);
            const int gone_new = binomial(leave, frac_u[vpost[k]], gen);
            const int gone_stable = binomial(total - fresh, p_stable, gen);
            nnew[k] = fresh - leave;
            matured += leave - gone_new;
            for (int c = 0; c < gone_new + gone_stable; c++) {
                vn[k] -= 1;
                release(&a, vpre[k]);
                release(&b, vpost[k]);
                if (remove_elements) {
                    z_pre[vpre[k]] = std::max(conn_pre[vpre[k]], z_pre[vpre[k]] - 1.0);
                    z_post[vpost[k]] = std::max(conn_post[vpost[k]], z_post[vpost[k]] - 1.0);
                }
            }
            eliminated += gone_new + gone_stable;
        }
        // 2. growth at the window's calcium
        const double* dz_pre_u = dz_pre + (size_t)u * n_pre;
        const double* dz_post_u = dz_post + (size_t)u * n_post;
        for (int i = 0; i < n_pre; i++) z_pre[i] = std::max(0.0, z_pre[i] + dt_s * dz_pre_u[i]);
        for (int j = 0; j < n_post; j++)
            z_post[j] = std::max(0.0, z_post[j] + dt_s * dz_post_u[j]);
        // 3. NEST's update; what it forms is new, what it deletes is drawn from
        //    the candidate's synapses at random (new ones with their share)
        before.assign(vn.begin(), vn.end());
        update_type(ty, gen);
        for (int64_t k = 0; k < m; k++) {
            const int32_t d = vn[k] - before[k];
            if (d > 0) {
                nnew[k] += d;
            } else if (d < 0) {
                int32_t left = before[k];
                for (int32_t c = 0; c < -d; c++, left--) {
                    if (nnew[k] > 0 && std::uniform_int_distribution<int32_t>(1, left)(gen) <= nnew[k])
                        nnew[k] -= 1;
                }
            }
        }
        // 4. vacant elements decay; statistics of the update
        const double created = p.created, deleted = p.deleted;
        finish(types, all, 1.0);
        double n_new_total = 0;
        for (int64_t k = 0; k < m; k++) n_new_total += nnew[k];
        out[6 * u + 0] = stat_n;
        out[6 * u + 1] = created;
        out[6 * u + 2] = deleted;
        out[6 * u + 3] = eliminated;
        out[6 * u + 4] = matured;
        out[6 * u + 5] = n_new_total;
    }
    for (int64_t k = 0; k < m; k++) nsyn[k] = vn[k];
    return 0;
}
