//! Stratified random split and stratified k-fold assignment, reproducible from a seed.
//!
//! Both shuffle the cases of each class (negatives first, then positives) with one ChaCha
//! generator (`rand::rngs::StdRng`) seeded with the given seed.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use super::data::Cohort;

fn shuffled_classes(labels: &[bool], seed: u64) -> [Vec<usize>; 2] {
    let mut rng = StdRng::seed_from_u64(seed);
    [false, true].map(|class| {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        members.shuffle(&mut rng);
        members
    })
}

/// Assign each case to training or validation: in each class, `round(fraction × n_class)`
/// shuffled cases go to validation.
pub fn stratified_split(labels: &[bool], fraction: f64, seed: u64) -> Vec<Cohort> {
    let mut cohorts = vec![Cohort::Training; labels.len()];
    for members in shuffled_classes(labels, seed) {
        // validation size of the class = round(fraction × n_class)
        let take = (fraction * members.len() as f64).round() as usize;
        for &i in &members[..take.min(members.len())] {
            cohorts[i] = Cohort::Validation;
        }
    }
    cohorts
}

/// Fold index (`0..k`) of each case: the shuffled cases of each class are dealt to the folds in
/// turn, continuing from where the previous class stopped, so fold sizes differ by at most one.
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut folds = vec![0; labels.len()];
    let mut next = 0;
    for members in shuffled_classes(labels, seed) {
        for i in members {
            folds[i] = next % k;
            next += 1;
        }
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stratified_and_seeded() {
        let labels: Vec<bool> = (0..100).map(|i| i % 4 == 0).collect();
        let a = stratified_split(&labels, 0.3, 5);
        assert_eq!(a, stratified_split(&labels, 0.3, 5));
        assert_ne!(a, stratified_split(&labels, 0.3, 6));
        let validation_positive = (0..100)
            .filter(|&i| labels[i] && a[i] == Cohort::Validation)
            .count();
        let validation = a.iter().filter(|&&c| c == Cohort::Validation).count();
        // 25 positives → 8 (round 7.5 up), 75 negatives → 23 (round 22.5 up)
        assert_eq!(validation_positive, 8);
        assert_eq!(validation, 31);
        let folds = stratified_folds(&labels, 10, 1);
        for f in 0..10 {
            let size = folds.iter().filter(|&&g| g == f).count();
            let positives = (0..100).filter(|&i| folds[i] == f && labels[i]).count();
            assert_eq!(size, 10);
            assert!((2..=3).contains(&positives));
        }
    }
}
