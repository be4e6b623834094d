// Homeostatic structural plasticity: NEST's update step, run inside a
// Brian2 cpp_standalone program (plasticity.model.structural builds the
// data tables and calls sp_step from a run_regularly operation).
//
// Semantics follow NEST 3.10 SPManager::update_structural_plasticity as
// documented in docs/notes/nest_structural_plasticity_semantics.md and
// mirrored by the numpy oracle plasticity/model/rewiring_oracle.py:
// per synapse type, pre-side deletion (eligible targets only, deficit
// capped), post-side deletion on recomputed counts, creation by sampling
// the longer vacancy list without replacement (ties: the post list) and
// pairing it with the shorter one in id order; after all types, vacant
// elements decay by tau_vacant. Synapses live in a fixed pool of candidate
// pairs, each holding a count (a multapse is a count > 1), so no synapse
// is ever created or destroyed at the Brian2 level.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace plasticity_sp {

struct Element {        // one synaptic element type of one population
    double* z;          // number of elements per neuron (Brian2 array)
    double* conn;       // connected elements per neuron (written here)
    int n;              // neurons
    double tau_vacant;
    bool continuous;
};

struct Pool {           // candidate synapses of one plastic pathway
    std::vector<int32_t>* pre;
    std::vector<int32_t>* post;
    std::vector<int32_t>* nsyn;
    int pre_side;       // index of the source element in Type::pre
    int post_side;      // index of the target element in Type::post
    int n_post;         // neurons of the target population
    bool recurrent;     // source and target are the same population
    std::vector<int64_t> keys;        // sorted (i * n_post + j)
    std::vector<int32_t> key_index;   // candidate index of each key
    std::vector<int32_t> out_start, out_index, in_start, in_index;  // CSR by pre, by post
    double* stat_n;
    double* stat_created;
    double* stat_deleted;
    double created, deleted;
    // weights follow maturity (clinical clock): per candidate, the summed weight of its
    // synapses in units of a stable one, and the weight a newly formed synapse starts
    // with; null when every synapse counts fully
    std::vector<double>* efficacy = nullptr;
    const double* new_weight = nullptr;
};

struct Type {           // one synapse type: all pools between these elements
    std::vector<Element*> pre, post;
    std::vector<Pool*> pools;
    bool autapses, multapses;
};

inline int64_t vacancy(const Element* e, int i) {
    return (int64_t)std::floor(e->z[i]) - (int64_t)e->conn[i];
}

// k draws without replacement from v (partial Fisher-Yates): v[0..k) in draw order
template <typename T>
void draw(std::vector<T>& v, size_t k, std::mt19937_64& gen) {
    k = std::min(k, v.size());
    for (size_t a = 0; a < k; a++) {
        std::uniform_int_distribution<size_t> pick(a, v.size() - 1);
        std::swap(v[a], v[pick(gen)]);
    }
}

inline void csr(const std::vector<int32_t>& of, int n, std::vector<int32_t>& start,
                std::vector<int32_t>& index) {
    start.assign(n + 1, 0);
    for (int32_t x : of) start[x + 1]++;
    for (int i = 0; i < n; i++) start[i + 1] += start[i];
    index.assign(of.size(), 0);
    std::vector<int32_t> fill(start.begin(), start.end() - 1);
    for (size_t k = 0; k < of.size(); k++) index[fill[of[k]]++] = (int32_t)k;
}

inline void prepare(Pool& p, int n_pre) {
    const size_t m = p.pre->size();
    std::vector<std::pair<int64_t, int32_t>> kv(m);
    for (size_t k = 0; k < m; k++)
        kv[k] = {(int64_t)(*p.pre)[k] * p.n_post + (*p.post)[k], (int32_t)k};
    std::sort(kv.begin(), kv.end());
    p.keys.resize(m);
    p.key_index.resize(m);
    for (size_t k = 0; k < m; k++) { p.keys[k] = kv[k].first; p.key_index[k] = kv[k].second; }
    csr(*p.pre, n_pre, p.out_start, p.out_index);
    csr(*p.post, p.n_post, p.in_start, p.in_index);
}

inline int32_t find(const Pool& p, int i, int j) {
    const int64_t key = (int64_t)i * p.n_post + j;
    auto it = std::lower_bound(p.keys.begin(), p.keys.end(), key);
    if (it == p.keys.end() || *it != key) return -1;
    return p.key_index[it - p.keys.begin()];
}

inline void recount(Type& t) {
    for (Element* e : t.pre) std::fill(e->conn, e->conn + e->n, 0.0);
    for (Element* e : t.post) std::fill(e->conn, e->conn + e->n, 0.0);
    for (Pool* p : t.pools) {
        Element* a = t.pre[p->pre_side];
        Element* b = t.post[p->post_side];
        for (size_t k = 0; k < p->nsyn->size(); k++) {
            const int32_t c = (*p->nsyn)[k];
            if (c > 0) { a->conn[(*p->pre)[k]] += c; b->conn[(*p->post)[k]] += c; }
        }
    }
}

// NEST's SynapticElement::connect(-1): one connected element fewer; if the
// element is still over-connected (connected > floor(z)), z is raised to
// connected + frac(z). So a neuron that loses k >= 2 synapses for a deficit
// of k keeps only one element less than it had connected, and the rest are
// vacancies that can be paired again in the same update (nest-simulator
// 3.10 synaptic_element.h, called from SPManager::delete_synapse).
inline void release(Element* e, int i) {
    e->conn[i] -= 1;
    const double whole = std::floor(e->z[i]);
    if (e->conn[i] > whole) e->z[i] = e->conn[i] + (e->z[i] - whole);
}

inline void remove_one(Type& t, Pool* p, int32_t k) {
    if (p->efficacy != nullptr) {  // a synapse of the candidate's mean weight goes
        double& e = (*p->efficacy)[k];
        e = (*p->nsyn)[k] > 1 ? std::max(0.0, e - e / (*p->nsyn)[k]) : 0.0;
    }
    (*p->nsyn)[k] -= 1;
    release(t.pre[p->pre_side], (*p->pre)[k]);
    release(t.post[p->post_side], (*p->post)[k]);
    p->deleted += 1;
}

void update_type(Type& t, std::mt19937_64& gen) {
    typedef std::pair<Pool*, int32_t> Unit;
    // 1. pre-side deletion: synapses onto targets whose element is nonzero.
    // NEST lists the targets of every deficit neuron once, before deleting
    // (ConnectionManager::get_targets), so eligibility is taken here, before
    // release() raises any z.
    std::vector<std::vector<char>> eligible(t.post.size());
    for (size_t b = 0; b < t.post.size(); b++) {
        const Element* tgt = t.post[b];
        eligible[b].resize(tgt->n);
        for (int j = 0; j < tgt->n; j++) {
            const double value = tgt->continuous ? tgt->z[j] : std::floor(tgt->z[j]);
            eligible[b][j] = value != 0.0;
        }
    }
    for (size_t a = 0; a < t.pre.size(); a++) {
        Element* e = t.pre[a];
        for (int i = 0; i < e->n; i++) {
            const int64_t v = vacancy(e, i);
            if (v >= 0) continue;
            std::vector<Unit> units;
            for (Pool* p : t.pools) {
                if (p->pre_side != (int)a) continue;
                const std::vector<char>& ok = eligible[p->post_side];
                for (int32_t s = p->out_start[i]; s < p->out_start[i + 1]; s++) {
                    const int32_t k = p->out_index[s];
                    if (!ok[(*p->post)[k]]) continue;
                    for (int32_t c = 0; c < (*p->nsyn)[k]; c++) units.push_back({p, k});
                }
            }
            const size_t m = std::min((size_t)(-v), units.size());
            draw(units, m, gen);
            for (size_t u = 0; u < m; u++) remove_one(t, units[u].first, units[u].second);
        }
    }
    // 2. post-side deletion, on the counts left by step 1
    for (size_t b = 0; b < t.post.size(); b++) {
        Element* e = t.post[b];
        for (int j = 0; j < e->n; j++) {
            const int64_t v = vacancy(e, j);
            if (v >= 0) continue;
            std::vector<Unit> units;
            for (Pool* p : t.pools) {
                if (p->post_side != (int)b) continue;
                for (int32_t s = p->in_start[j]; s < p->in_start[j + 1]; s++) {
                    const int32_t k = p->in_index[s];
                    for (int32_t c = 0; c < (*p->nsyn)[k]; c++) units.push_back({p, k});
                }
            }
            const size_t m = std::min((size_t)(-v), units.size());
            draw(units, m, gen);
            for (size_t u = 0; u < m; u++) remove_one(t, units[u].first, units[u].second);
        }
    }
    // 3. creation: vacancy lists (side, neuron) in id order, the longer one sampled
    typedef std::pair<int, int> Id;
    std::vector<Id> pre_list, post_list;
    for (size_t a = 0; a < t.pre.size(); a++)
        for (int i = 0; i < t.pre[a]->n; i++)
            for (int64_t c = vacancy(t.pre[a], i); c > 0; c--) pre_list.push_back({(int)a, i});
    for (size_t b = 0; b < t.post.size(); b++)
        for (int j = 0; j < t.post[b]->n; j++)
            for (int64_t c = vacancy(t.post[b], j); c > 0; c--) post_list.push_back({(int)b, j});
    if (pre_list.empty() || post_list.empty()) return;
    const size_t n = std::min(pre_list.size(), post_list.size());
    if (pre_list.size() > post_list.size()) draw(pre_list, n, gen);
    else draw(post_list, n, gen);
    for (size_t u = 0; u < n; u++) {
        const Id s = pre_list[u], d = post_list[u];
        Pool* p = nullptr;
        for (Pool* q : t.pools)
            if (q->pre_side == s.first && q->post_side == d.first) { p = q; break; }
        if (p == nullptr) continue;
        if (p->recurrent && s.second == d.second && !t.autapses) continue;
        const int32_t k = find(*p, s.second, d.second);
        if (k < 0) continue;  // not a candidate pair (candidate_density < 1)
        if (!t.multapses && (*p->nsyn)[k] > 0) continue;
        (*p->nsyn)[k] += 1;
        if (p->efficacy != nullptr) (*p->efficacy)[k] += *p->new_weight;
        t.pre[s.first]->conn[s.second] += 1;
        t.post[d.first]->conn[d.second] += 1;
        p->created += 1;
    }
}

// NEST removes the fraction tau_vacant of the vacant elements at every
// update. When one update stands for `scale` updates of clinical time (a
// compressed timeline), the fraction left is (1 - tau_vacant)^scale.
void decay_vacant(Element* e, double scale) {
    const double fraction = scale == 1.0 ? e->tau_vacant
                                         : 1.0 - std::pow(1.0 - e->tau_vacant, scale);
    for (int i = 0; i < e->n; i++) {
        const int64_t v = vacancy(e, i);
        if (v > 0) e->z[i] -= (double)v * fraction;
    }
}

void finish(std::vector<Type>& types, std::vector<Element*>& elements, double scale) {
    for (Element* e : elements) decay_vacant(e, scale);
    for (Type& t : types)
        for (Pool* p : t.pools) {
            double total = 0;
            for (int32_t c : *p->nsyn) total += c;
            *p->stat_n = total;
            *p->stat_created = p->created;
            *p->stat_deleted = p->deleted;
            p->created = p->deleted = 0;
        }
}

// ---------------------------------------------------------------------------
// Spike delivery over the actual synapses of a plastic pathway. Brian2 would
// push every spike to all of the source cell's candidates (most of them
// empty); the engine keeps, per source cell, the list of its candidates that
// hold synapses (rebuilt after every update) and a ring buffer per target
// variable over the pathway's delay.
// ---------------------------------------------------------------------------
struct Channel {            // one variable of the target cells a spike changes
    double* target;         // per postsynaptic cell (Brian2 array)
    const double* weight;   // the pathway's shared weight
    const double* divisor;  // shared divisor (alpha PSC: tau_syn), or null
    double factor;          // constant factor (alpha PSC: e)
    const double* jump_k0;  // event NMDA: times k0 + k1 s of the source at the spike
    const double* jump_k1;
    const double* jump_s;
    const char* gate;       // delta PSP: only into cells not refractory, or null
    const double* post_scale;  // per target cell factor (AMPA scaling), or null
    std::vector<double> ring;   // slots x n_post
};

struct Delivery {
    Pool* pool;
    const int32_t* spikespace;  // Brian2 spike space of the source: ids, count at [n_pre]
    int n_pre;
    int slots;                  // delay in steps + 1
    std::vector<int32_t> act_start, act_post;  // synapses by source cell
    std::vector<double> act_n;                 // their count (or summed weight)
    std::vector<Channel> channels;
};

void rebuild_active(Delivery& d) {
    const Pool& p = *d.pool;
    d.act_start.assign(d.n_pre + 1, 0);
    d.act_post.clear();
    d.act_n.clear();
    for (int i = 0; i < d.n_pre; i++) {
        for (int32_t s = p.out_start[i]; s < p.out_start[i + 1]; s++) {
            const int32_t k = p.out_index[s];
            const int32_t c = (*p.nsyn)[k];
            if (c <= 0) continue;
            d.act_post.push_back((*p.post)[k]);
            d.act_n.push_back(p.efficacy != nullptr ? (*p.efficacy)[k] : (double)c);
        }
        d.act_start[i + 1] = (int32_t)d.act_post.size();
    }
}

void prepare_delivery(Delivery& d) {
    for (Channel& c : d.channels) c.ring.assign((size_t)d.slots * d.pool->n_post, 0.0);
    rebuild_active(d);
}

// The spikes of this step go into the slot due `slots - 1` steps later;
// the slot due now goes into the target variables.
void deliver(Delivery& d, long step) {
    const int n_post = d.pool->n_post;
    const int32_t n_spikes = d.spikespace[d.n_pre];
    const size_t in_slot = (size_t)((step + d.slots - 1) % d.slots);
    const size_t out_slot = (size_t)(step % d.slots);
    for (Channel& c : d.channels) {
        double w = *c.weight * c.factor;
        if (c.divisor != nullptr) w /= *c.divisor;
        double* ring_in = c.ring.data() + in_slot * n_post;
        for (int32_t a = 0; a < n_spikes; a++) {
            const int32_t i = d.spikespace[a];
            const double wi = c.jump_k0 == nullptr ? w
                                                   : w * (*c.jump_k0 + *c.jump_k1 * c.jump_s[i]);
            for (int32_t s = d.act_start[i]; s < d.act_start[i + 1]; s++)
                ring_in[d.act_post[s]] += wi * d.act_n[s];
        }
        double* ring_out = c.ring.data() + out_slot * n_post;
        if (c.gate != nullptr) {
            for (int j = 0; j < n_post; j++) {
                if (c.gate[j]) c.target[j] += ring_out[j];
                ring_out[j] = 0.0;
            }
        } else if (c.post_scale != nullptr) {
            for (int j = 0; j < n_post; j++) {
                c.target[j] += ring_out[j] * c.post_scale[j];
                ring_out[j] = 0.0;
            }
        } else {
            for (int j = 0; j < n_post; j++) {
                c.target[j] += ring_out[j];
                ring_out[j] = 0.0;
            }
        }
    }
}

// Restore the state of an earlier run (the previous segment of a timeline):
// for each pool int64 m then m x int32 nsyn, for each element int64 n then
// n x float64 z, for each calcium sensor int64 n then n x float64, then for
// each pool whose weights follow maturity int64 m then m x float64 efficacy, then
// for each population with AMPA scaling int64 n then n x float64 factors, in the
// order the glue code lists them (plasticity.model.structural.write_state).
// Returns false when there is no such file; a file that does not fit this
// network is an error.
bool load_state(const std::string& path, std::vector<Pool>& pools,
                std::vector<Element>& els, std::vector<std::pair<double*, int>>& calcium,
                std::vector<std::pair<double*, int>>& scales) {
    std::ifstream f(path.c_str(), std::ios::binary);
    if (!f) return false;
    auto block = [&f, &path](char* dst, int64_t expected, size_t width) {
        int64_t n = -1;
        f.read(reinterpret_cast<char*>(&n), sizeof(n));
        if (!f || n != expected)
            throw std::ios_base::failure("structural state file " + path +
                                         " does not fit this network");
        f.read(dst, (std::streamsize)(n * width));
        if (!f) throw std::ios_base::failure("structural state file " + path + " is truncated");
    };
    for (Pool& p : pools)
        block(reinterpret_cast<char*>(p.nsyn->data()), (int64_t)p.nsyn->size(), sizeof(int32_t));
    for (Element& e : els) block(reinterpret_cast<char*>(e.z), e.n, sizeof(double));
    for (auto& c : calcium) block(reinterpret_cast<char*>(c.first), c.second, sizeof(double));
    for (Pool& p : pools)
        if (p.efficacy != nullptr)
            block(reinterpret_cast<char*>(p.efficacy->data()), (int64_t)p.efficacy->size(),
                  sizeof(double));
    for (auto& c : scales) block(reinterpret_cast<char*>(c.first), c.second, sizeof(double));
    return true;
}

// Append the synapses of a pool (pairs with nsyn > 0) to a binary file:
// float64 time (ms), int64 count, then count x int32 (pre, post, nsyn).
void write_snapshot(const Pool& p, const std::string& path, double t_ms) {
    std::ofstream f(path.c_str(), std::ios::binary | std::ios::app);
    int64_t count = 0;
    for (int32_t c : *p.nsyn) count += (c > 0);
    f.write(reinterpret_cast<const char*>(&t_ms), sizeof(double));
    f.write(reinterpret_cast<const char*>(&count), sizeof(int64_t));
    for (size_t k = 0; k < p.nsyn->size(); k++) {
        if ((*p.nsyn)[k] <= 0) continue;
        const int32_t rec[3] = {(*p.pre)[k], (*p.post)[k], (*p.nsyn)[k]};
        f.write(reinterpret_cast<const char*>(rec), sizeof(rec));
    }
}

}  // namespace plasticity_sp
