//! Clustering matched pairs into persons: connected components over links at or above the
//! threshold, strongest links first, with a guard against chaining. Plain connected components
//! let one weak link join two groups that contain records known to be very different (A~B,
//! B~C, yet A and C clearly not the same person); here a merge is refused when any pair across
//! the two groups was compared and scored below the "cannot link" probability.

struct Dsu {
    parent: Vec<usize>,
    members: Vec<Vec<usize>>,
}

impl Dsu {
    fn new(n: usize) -> Self {
        Self { parent: (0..n).collect(), members: (0..n).map(|i| vec![i]).collect() }
    }
    fn find(&mut self, mut x: usize) -> usize {
        while let Some(&p) = self.parent.get(x) {
            if p == x {
                break;
            }
            let gp = self.parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.parent.get_mut(x) {
                *slot = gp;
            }
            x = p;
        }
        x
    }
}

/// The cannot-link pairs as adjacency lists in two flat arrays (`of(x)` is a slice): at a
/// million records there are millions of them, and a map of vectors cost seconds to build.
struct Apart {
    start: Vec<usize>,
    other: Vec<u32>,
}

impl Apart {
    fn new(n: usize, pairs: &[(usize, usize)]) -> Self {
        let mut start = vec![0usize; n + 1];
        for &(i, j) in pairs {
            for x in [i, j] {
                if let Some(c) = start.get_mut(x + 1) {
                    *c += 1;
                }
            }
        }
        for x in 1..start.len() {
            let before = start.get(x - 1).copied().unwrap_or(0);
            if let Some(c) = start.get_mut(x) {
                *c += before;
            }
        }
        let mut fill = start.clone();
        let mut other = vec![0u32; start.last().copied().unwrap_or(0)];
        for &(i, j) in pairs {
            for (x, y) in [(i, j), (j, i)] {
                if let Some(at) = fill.get_mut(x) {
                    if let Some(slot) = other.get_mut(*at) {
                        *slot = y as u32;
                    }
                    *at += 1;
                }
            }
        }
        Self { start, other }
    }

    fn of(&self, x: usize) -> &[u32] {
        let (a, b) = (self.start.get(x).copied().unwrap_or(0), self.start.get(x + 1).copied().unwrap_or(0));
        self.other.get(a..b).unwrap_or(&[])
    }
}

/// Cluster `n` records. `links` are (i, j, probability) at or above the threshold;
/// `cannot` are compared pairs scored below the cannot-link probability. Returns, for each
/// record, the index of a representative record of its cluster, and how many merges the
/// guard refused.
pub fn cluster(n: usize, mut links: Vec<(usize, usize, f64)>, cannot: &[(usize, usize)]) -> (Vec<usize>, usize) {
    let apart = Apart::new(n, cannot);
    links.sort_by(|a, b| b.2.total_cmp(&a.2));
    let mut d = Dsu::new(n);
    let mut refused = 0;
    for (i, j, _) in links {
        let (ri, rj) = (d.find(i), d.find(j));
        if ri == rj {
            continue;
        }
        let (small, large) = if d.members.get(ri).map(Vec::len) < d.members.get(rj).map(Vec::len) { (ri, rj) } else { (rj, ri) };
        let small_members = d.members.get(small).cloned().unwrap_or_default();
        let conflict = small_members.iter().any(|x| apart.of(*x).iter().any(|y| d.find(*y as usize) == large));
        if conflict {
            refused += 1;
            continue;
        }
        if let Some(p) = d.parent.get_mut(small) {
            *p = large;
        }
        let moved = std::mem::take(d.members.get_mut(small).unwrap_or(&mut Vec::new()));
        if let Some(m) = d.members.get_mut(large) {
            m.extend(moved);
        }
    }
    ((0..n).map(|x| d.find(x)).collect(), refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_links_form_components() {
        let (c, refused) = cluster(5, vec![(0, 1, 0.99), (1, 2, 0.9), (3, 4, 0.8)], &[]);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[1], c[2]);
        assert_eq!(c[3], c[4]);
        assert_ne!(c[0], c[3]);
        assert_eq!(refused, 0);
    }

    #[test]
    fn one_weak_link_does_not_chain_records_known_to_differ() {
        // 0~1 strongly, 2~3 strongly, 1~2 weakly; but 0 and 3 were compared and are clearly
        // different people.
        let (c, refused) = cluster(4, vec![(0, 1, 0.99), (2, 3, 0.99), (1, 2, 0.6)], &[(0, 3)]);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[2], c[3]);
        assert_ne!(c[0], c[2]);
        assert_eq!(refused, 1);
    }
}
