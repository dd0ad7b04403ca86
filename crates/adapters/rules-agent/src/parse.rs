//! Reading an order out of words: which menu items, how many, which variant.
//!
//! The words are scanned left to right. At each position the longest menu name (or part of a
//! name) that matches wins; a quantity or a variant word before or right after an item belongs
//! to it; "aur", "and" and commas close an item. Roman Urdu "do" is both "2" and "give": it is
//! read as 2 only when the next word (after "aur"/"more") starts a menu item or variant and the
//! word before is not "de"/"kar" ("do zinger" and "do aur zinger" are 2 zingers; "zinger de do"
//! and "zinger de do aur fries" are one of each).

use omni_domain::MenuItem;

use crate::text::{
    WordMatch, digit_quantity, is_filler, is_separator, tokens, word_match, word_quantity,
};

/// One item the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Indexes into the menu of the items the words fit equally well (one when clear).
    pub candidates: Vec<usize>,
    /// The quantity, when one was written.
    pub quantity: Option<u32>,
    /// The variant words, when any ("large").
    pub variant: Option<Vec<String>>,
    /// The words that named the item, for questions ("burger").
    pub words: String,
}

/// What a message asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The items, in the order written.
    pub segments: Vec<Segment>,
    /// Words that are neither items, quantities, variants nor filler.
    pub unknown: Vec<String>,
    /// A quantity or variant was written without an item.
    pub dangling: bool,
}

impl Parsed {
    /// Every word was understood and at least one item was named.
    pub fn is_clean(&self) -> bool {
        !self.segments.is_empty() && self.unknown.is_empty() && !self.dangling
    }
}

struct Entry {
    idx: usize,
    name: Vec<String>,
    variants: Vec<Vec<String>>,
}

/// The menu, tokenised once per message.
pub(crate) struct Index {
    entries: Vec<Entry>,
}

fn name_tokens(name: &str) -> Vec<String> {
    tokens(name)
        .into_iter()
        .map(|t| if t == "," { "and".to_owned() } else { t })
        .collect()
}

fn words_match(typed: &str, name: &str) -> Option<WordMatch> {
    if is_separator(typed) && is_separator(name) {
        return Some(WordMatch::Exact);
    }
    word_match(typed, name)
}

/// Whether a word of a name can identify the item on its own ("zinger", not "and").
fn significant(word: &str) -> bool {
    word.chars().count() >= 3 && !is_filler(word) && !is_separator(word)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    len: usize,
    full: bool,
    exact: usize,
}

impl Index {
    /// Indexes the menu items whose position passes `keep`.
    pub fn new(menu: &[MenuItem], keep: impl Fn(usize) -> bool) -> Self {
        let entries = menu
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(idx, item)| Entry {
                idx,
                name: name_tokens(&item.name),
                variants: item.variants.iter().map(|v| name_tokens(&v.name)).collect(),
            })
            .collect();
        Self { entries }
    }

    /// The best item match starting at `at`: its length in words, whether every word matched
    /// exactly, and the items it fits.
    fn item_at(&self, words: &[String], at: usize) -> Option<(Score, Vec<usize>)> {
        let mut best: Option<(Score, Vec<usize>)> = None;
        for entry in &self.entries {
            let Some(score) = span_score(words, at, &entry.name) else {
                continue;
            };
            match &mut best {
                Some((b, list)) if *b == score => list.push(entry.idx),
                Some((b, _)) if *b > score => {}
                _ => best = Some((score, vec![entry.idx])),
            }
        }
        best
    }

    /// The length of the longest variant name (of any item) starting at `at`.
    fn variant_at(&self, words: &[String], at: usize) -> usize {
        self.entries
            .iter()
            .flat_map(|e| &e.variants)
            .filter(|v| full_match(words, at, v))
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    }

    /// The index into `item.variants` of the variant `words` names.
    pub fn variant_of(item: &MenuItem, words: &[String]) -> Option<usize> {
        item.variants.iter().position(|v| {
            let name = name_tokens(&v.name);
            name.len() == words.len() && full_match(words, 0, &name)
        })
    }

    /// Reads the items of a message.
    pub fn parse(&self, words: &[String]) -> Parsed {
        let mut parsed = Parsed::default();
        let mut cur = Pending::default();
        let mut i = 0;
        while let Some(word) = words.get(i) {
            if is_separator(word) && self.item_at(words, i).is_none_or(|(s, _)| !s.full) {
                // "2 aur zinger" (two more): a quantity still waiting for its item stays.
                if cur.item.is_some() || cur.variant.is_some() {
                    cur.flush(&mut parsed);
                }
                i += 1;
                continue;
            }
            if let Some(q) = digit_quantity(word) {
                let next_starts_item = self.starts_item(words, i + 1);
                if cur.item.is_some() && cur.quantity.is_none() && !next_starts_item {
                    cur.quantity = Some(q);
                } else {
                    if cur.item.is_some() || cur.quantity.is_some() {
                        cur.flush(&mut parsed);
                    }
                    cur.quantity = Some(q);
                }
                i += 1;
                continue;
            }
            let item = self.item_at(words, i);
            let exact_item = item
                .as_ref()
                .is_some_and(|(s, _)| s.exact == s.len && (s.full || significant(word)));
            if !exact_item && let Some(q) = word_quantity(word) {
                let give = i
                    .checked_sub(1)
                    .and_then(|p| words.get(p))
                    .is_some_and(|p| matches!(p.as_str(), "de" | "kar" | "kr" | "karo" | "dein"));
                if word != "do" || (!give && self.starts_item(words, i + 1)) {
                    if cur.item.is_some() || cur.quantity.is_some() {
                        cur.flush(&mut parsed);
                    }
                    cur.quantity = Some(q);
                }
                i += 1;
                continue;
            }
            let variant_len = self.variant_at(words, i);
            let item = item.filter(|(s, _)| s.full || significant(word));
            match item {
                Some((score, _)) if variant_len > score.len && !score.full => {}
                Some((score, candidates)) => {
                    let span = words[i..i + score.len].join(" ");
                    // "burger zinger": the second word narrows the first instead of naming a
                    // second item.
                    if let Some((prev, prev_words)) = &mut cur.item
                        && (prev.len() > 1 || candidates.len() > 1)
                        && prev.iter().any(|p| candidates.contains(p))
                    {
                        prev.retain(|p| candidates.contains(p));
                        prev_words.push(' ');
                        prev_words.push_str(&span);
                        i += score.len;
                        continue;
                    }
                    if cur.item.is_some() {
                        cur.flush(&mut parsed);
                    }
                    cur.item = Some((candidates, span));
                    i += score.len;
                    continue;
                }
                None => {}
            }
            if variant_len > 0 {
                if cur.variant.is_some() {
                    cur.flush(&mut parsed);
                }
                cur.variant = Some(words[i..i + variant_len].to_vec());
                i += variant_len;
                continue;
            }
            if !is_filler(word) {
                parsed.unknown.push(word.clone());
            }
            i += 1;
        }
        cur.flush(&mut parsed);
        parsed
    }

    /// Whether an item or variant starts at `at`, skipping "aur" and "more" ("do aur zinger").
    fn starts_item(&self, words: &[String], mut at: usize) -> bool {
        while words
            .get(at)
            .is_some_and(|w| matches!(w.as_str(), "aur" | "more" | "and"))
        {
            at += 1;
        }
        let Some(word) = words.get(at) else {
            return false;
        };
        self.item_at(words, at)
            .is_some_and(|(s, _)| s.full || significant(word))
            || self.variant_at(words, at) > 0
    }
}

/// The best way the words at `at` match a contiguous run of `name`'s words.
fn span_score(words: &[String], at: usize, name: &[String]) -> Option<Score> {
    let mut best: Option<Score> = None;
    for start in 0..name.len() {
        let mut len = 0;
        let mut exact = 0;
        let mut has_significant = false;
        while let (Some(typed), Some(part)) = (words.get(at + len), name.get(start + len)) {
            match words_match(typed, part) {
                Some(m) => {
                    exact += usize::from(m == WordMatch::Exact);
                    has_significant |= significant(part);
                    len += 1;
                }
                None => break,
            }
        }
        if len == 0 {
            continue;
        }
        let full = start == 0 && len == name.len();
        if !full && !has_significant {
            continue;
        }
        let score = Score { len, full, exact };
        if best.is_none_or(|b| score > b) {
            best = Some(score);
        }
    }
    best
}

fn full_match(words: &[String], at: usize, name: &[String]) -> bool {
    !name.is_empty()
        && name.iter().enumerate().all(|(k, part)| {
            words
                .get(at + k)
                .is_some_and(|w| words_match(w, part).is_some())
        })
}

#[derive(Default)]
struct Pending {
    item: Option<(Vec<usize>, String)>,
    quantity: Option<u32>,
    variant: Option<Vec<String>>,
}

impl Pending {
    fn flush(&mut self, parsed: &mut Parsed) {
        let taken = std::mem::take(self);
        match taken.item {
            Some((candidates, words)) => parsed.segments.push(Segment {
                candidates,
                quantity: taken.quantity,
                variant: taken.variant,
                words,
            }),
            None => parsed.dangling |= taken.quantity.is_some() || taken.variant.is_some(),
        }
    }
}
