//! Measures the category suggester against the hand-written evaluation set
//! in `tests/data/suggest_eval.json` and holds it to minimum accuracies.

use beyazmasa::domain::reference::shipped_taxonomy;
use beyazmasa::domain::suggest::suggest;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvalSet {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    text: String,
    category: String,
    unit: String,
}

const EVAL_SET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/suggest_eval.json");

/// `SUGGEST_EVAL=/path/to/other.json cargo test --test suggest_eval -- --nocapture`
/// measures another set of the same shape (e.g. a held-out one).
fn eval_path() -> String {
    std::env::var("SUGGEST_EVAL").unwrap_or_else(|_| EVAL_SET.to_string())
}

fn load() -> EvalSet {
    let path = eval_path();
    let text = std::fs::read_to_string(&path).expect("read the evaluation set");
    serde_json::from_str(&text).expect("parse the evaluation set")
}

#[derive(Default)]
struct Tally {
    n: usize,
    cat1: usize,
    cat3: usize,
    unit1: usize,
    unit3: usize,
}

impl Tally {
    fn add(&mut self, cat1: bool, cat3: bool, unit1: bool, unit3: bool) {
        self.n += 1;
        self.cat1 += usize::from(cat1);
        self.cat3 += usize::from(cat3);
        self.unit1 += usize::from(unit1);
        self.unit3 += usize::from(unit3);
    }

    fn rate(hits: usize, n: usize) -> f64 {
        if n == 0 { 0.0 } else { hits as f64 / n as f64 }
    }
}

#[test]
fn suggestion_accuracy() {
    let set = load();
    let taxonomy = shipped_taxonomy();
    let mut total = Tally::default();
    let mut by_group: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_unit: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    // Build the shipped index before timing.
    suggest("su", 1);
    let started = std::time::Instant::now();
    for case in &set.cases {
        let got = suggest(&case.text, 3);
        let cat1 = got.first().is_some_and(|s| s.code == case.category);
        let cat3 = got.iter().any(|s| s.code == case.category);
        let unit1 = got.first().is_some_and(|s| s.unit == case.unit);
        let unit3 = got.iter().any(|s| s.unit == case.unit);
        total.add(cat1, cat3, unit1, unit3);
        let group = taxonomy.category(&case.category).map(|c| c.group.clone()).unwrap_or_default();
        by_group.entry(group).or_default().add(cat1, cat3, unit1, unit3);
        by_unit.entry(case.unit.clone()).or_default().add(cat1, cat3, unit1, unit3);
        if !cat1 {
            let shown: Vec<String> = got.iter().map(|s| format!("{} ({}) {:.2}", s.code, s.unit, s.score)).collect();
            let mark = if unit3 { "unit in top 3" } else { "UNIT MISSED" };
            misses.push(format!("  {:<55} want {:<18} got [{}]  {mark}", case.text, case.category, shown.join(", ")));
        }
    }
    let per_call = started.elapsed() / set.cases.len().max(1) as u32;

    let n = total.n;
    println!("suggestion evaluation: {n} cases, {per_call:?} per call");
    println!("  category: top-1 {:.3}  top-3 {:.3}", Tally::rate(total.cat1, n), Tally::rate(total.cat3, n));
    println!("  unit:     top-1 {:.3}  top-3 {:.3}", Tally::rate(total.unit1, n), Tally::rate(total.unit3, n));
    println!("by group (cases, category top-1 / top-3, unit top-1 / top-3):");
    for (group, t) in &by_group {
        println!(
            "  {group:<14} {:>3}  {:.2} / {:.2}  {:.2} / {:.2}",
            t.n,
            Tally::rate(t.cat1, t.n),
            Tally::rate(t.cat3, t.n),
            Tally::rate(t.unit1, t.n),
            Tally::rate(t.unit3, t.n)
        );
    }
    println!("by expected unit (cases, unit top-1 / top-3):");
    for (unit, t) in &by_unit {
        println!("  {unit:<14} {:>3}  {:.2} / {:.2}", t.n, Tally::rate(t.unit1, t.n), Tally::rate(t.unit3, t.n));
    }
    println!("top-1 category misses ({}):", misses.len());
    for m in &misses {
        println!("{m}");
    }

    if eval_path() == EVAL_SET {
        assert!(n >= 120, "the evaluation set should have at least 120 cases, has {n}");
    }
    let unit3 = Tally::rate(total.unit3, n);
    let unit1 = Tally::rate(total.unit1, n);
    assert!(unit3 >= 0.90, "top-3 unit accuracy {unit3:.3} < 0.90");
    assert!(unit1 >= 0.75, "top-1 unit accuracy {unit1:.3} < 0.75");
}

#[test]
fn eval_set_refers_to_the_taxonomy() {
    let set = load();
    let taxonomy = shipped_taxonomy();
    for case in &set.cases {
        let category = taxonomy
            .category(&case.category)
            .unwrap_or_else(|| panic!("{:?}: unknown category {}", case.text, case.category));
        assert!(taxonomy.unit(&case.unit).is_some(), "{:?}: unknown unit {}", case.text, case.unit);
        assert_eq!(category.default_unit, case.unit, "{:?}: unit is not the category's default", case.text);
        assert!(!case.text.trim().is_empty());
    }
}
