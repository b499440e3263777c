import itertools

import numpy as np

from dsp.grammar import viterbi_path, viterbi_scores
from dsp.morse import text_to_units
from dsp.spectrum import track_sums


def test_viterbi_equals_brute_force_over_all_grammatical_sequences():
    rng = np.random.default_rng(0)
    for _ in range(20):
        e = rng.normal(0, 3, 9)
        best = max(
            float(np.dot(e, u)) for u in itertools.product([0, 1], repeat=9)
            if _interior_ok(u)
        )
        path, score = viterbi_path(e)
        assert np.isclose(score, best)
        assert np.isclose(viterbi_scores(e[:, None])[0], best)
        assert np.isclose(np.dot(e, path), score)


def _interior_ok(u):
    # Free start/end: runs touching either end may be cut short; interior runs may not.
    u = np.array(u, bool)
    if not u.any():
        return True
    edges = np.flatnonzero(np.diff(u.astype(int))) + 1
    runs = np.split(u, edges)
    inner = runs[1:-1]
    ok = all(len(r) in (1, 3) if r[0] else (len(r) in (1, 3) or len(r) >= 7) for r in inner)
    first, last = runs[0], runs[-1]
    ok &= len(first) <= 3 if first[0] else True
    ok &= len(last) <= 3 if last[0] else True
    return ok


def test_viterbi_decodes_hi_from_clean_llrs():
    u = text_to_units("HI")
    path, _ = viterbi_path(np.where(np.r_[[0] * 8, u, [0] * 8], 5.0, -5.0))
    assert np.array_equal(path[8:-8], u)


def test_taylor_track_sums_match_brute_force_on_straight_tracks():
    rng = np.random.default_rng(1)
    m, b = 16, 64
    p = rng.exponential(1.0, (m, b)).astype(np.float32)
    sums, shifts = track_sums(p, 15)
    for row, d in zip(sums, shifts, strict=True):
        k = 20
        brute = sum(p[f, k + int(np.floor(d * f / (m - 1) + 0.5))] for f in range(m))
        assert abs(row[k] - brute) <= 3.0 * 1.5  # within a one-bin track tolerance
    # A drifting line is found with its drift.
    q = np.zeros((m, b), np.float32)
    for f in range(m):
        q[f, 10 + f // 2] = 10.0
    s2, sh2 = track_sums(q, 15)
    i, k = np.unravel_index(np.argmax(s2), s2.shape)
    assert k == 10 and abs(sh2[i] - 7.5) <= 1.0 and s2[i, k] >= 140


def test_posteriors_equal_brute_force_sums_over_key_sequences():
    from dsp.grammar import log_path_count, posteriors, sequence_posterior

    rng = np.random.default_rng(2)
    seqs = [np.array(u, bool) for u in itertools.product([0, 1], repeat=8)]
    # Weight of a key sequence under a flat prior over state paths: its path count.
    counts = np.array([sequence_posterior(np.zeros(8), u) for u in seqs])
    assert np.isclose(counts.sum(), 1.0)
    assert np.log(np.sum(counts > 0)) <= log_path_count(8)  # a bound on key sequences
    for _ in range(5):
        e = rng.normal(0, 2, 8)
        w = counts * np.exp([float(np.dot(e, u)) for u in seqs])
        w /= w.sum()
        p_down, _ = posteriors(e)
        brute = np.sum([wi * u for wi, u in zip(w, seqs, strict=True)], axis=0)
        assert np.allclose(p_down, brute, atol=1e-9)
        path, _ = viterbi_path(e)
        assert np.isclose(sequence_posterior(e, path), w[[np.array_equal(u, path)
                                                           for u in seqs].index(True)])
