//! Words: normalising what customers type, the keyword sets, quantities in English and Roman
//! Urdu, and the fuzzy word comparison. The edit distance is written by hand (a dozen lines of
//! optimal string alignment) rather than pulled from `strsim`: we need one function on short
//! words, and keeping the crate dependency-free keeps it quick to build.

/// Lower-cased words of `raw`. Apostrophes are dropped ("that's" -> "thats"), commas, `&` and
/// `+` become the separator token ",", every other non-alphanumeric character splits words,
/// and `2x` / `x2` become `2`.
pub(crate) fn tokens(raw: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            '\'' | '\u{2019}' | '`' => {}
            ',' | '&' | '+' | '\u{060C}' => cleaned.push_str(" , "),
            c if c.is_alphanumeric() => cleaned.extend(c.to_lowercase()),
            _ => cleaned.push(' '),
        }
    }
    cleaned
        .split_whitespace()
        .map(|w| {
            let digits_then_x = w
                .strip_suffix('x')
                .or_else(|| w.strip_prefix('x'))
                .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
            digits_then_x.unwrap_or(w).to_owned()
        })
        .collect()
}

/// Whether `t` separates two items ("aur", "and", a comma).
pub(crate) fn is_separator(t: &str) -> bool {
    matches!(t, "," | "aur" | "and" | "or" | "plus" | "n")
}

/// A quantity written in digits (1 to 999; the caller checks the range).
pub(crate) fn digit_quantity(t: &str) -> Option<u32> {
    if t.len() > 3 || !t.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A quantity written as a word, English or Roman Urdu. "do" is included: the caller decides
/// whether it means 2 (see `parse`).
pub(crate) fn word_quantity(t: &str) -> Option<u32> {
    Some(match t {
        "one" | "ek" | "aik" | "ik" => 1,
        "two" | "do" | "doh" => 2,
        "three" | "teen" | "tin" => 3,
        "four" | "char" | "chaar" => 4,
        "five" | "paanch" | "panch" | "panj" => 5,
        "six" | "chay" | "chhe" | "chhay" | "che" | "chhey" => 6,
        "seven" | "saat" | "sat" => 7,
        "eight" | "aath" | "ath" => 8,
        "nine" | "nau" => 9,
        "ten" | "das" | "dus" => 10,
        _ => return None,
    })
}

/// Words that carry no item: politeness, "I want to order", Roman Urdu glue, greetings. They are
/// skipped when reading an order and never fuzzy-match a menu item.
pub(crate) fn is_filler(t: &str) -> bool {
    is_greeting(t)
        || matches!(
            t,
            "i" | "im"
                | "want"
                | "wanna"
                | "to"
                | "order"
                | "a"
                | "an"
                | "the"
                | "please"
                | "plz"
                | "pls"
                | "mujhe"
                | "muje"
                | "mujhay"
                | "mjhe"
                | "hamein"
                | "humein"
                | "chahiye"
                | "chahye"
                | "chaiye"
                | "chahiay"
                | "chahiyee"
                | "de"
                | "dein"
                | "dena"
                | "dedo"
                | "do"
                | "me"
                | "my"
                | "for"
                | "some"
                | "get"
                | "give"
                | "can"
                | "could"
                | "would"
                | "like"
                | "id"
                | "have"
                | "need"
                | "add"
                | "also"
                | "bhi"
                | "hai"
                | "hain"
                | "he"
                | "karna"
                | "krna"
                | "kar"
                | "karo"
                | "kr"
                | "kro"
                | "send"
                | "bhejo"
                | "x"
                | "of"
                | "ka"
                | "ki"
                | "ke"
                | "wala"
                | "wali"
                | "walay"
                | "more"
                | "it"
                | "make"
                | "set"
                | "change"
                | "remove"
                | "delete"
                | "hatao"
                | "hata"
                | "hatado"
                | "nikalo"
                | "nikal"
                | "nikaal"
                | "new"
                | "pieces"
                | "piece"
                | "pcs"
                | "pc"
                | "thanks"
                | "thank"
                | "you"
                | "ok"
                | "okay"
        )
}

/// Greeting words ("hi", "assalam o alaikum", "aoa").
pub(crate) fn is_greeting(t: &str) -> bool {
    matches!(
        t,
        "hi" | "hii"
            | "hiii"
            | "hello"
            | "helo"
            | "hey"
            | "salam"
            | "salaam"
            | "slam"
            | "assalam"
            | "asalam"
            | "aslam"
            | "assalamu"
            | "assalamualaikum"
            | "assalamoalaikum"
            | "asalamualaikum"
            | "aoa"
            | "o"
            | "u"
            | "alaikum"
            | "alaykum"
            | "alikum"
            | "walaikum"
            | "good"
            | "morning"
            | "evening"
            | "afternoon"
    )
}

/// Words that belong to a command and must never fuzzy-match a menu item ("done" is not
/// "Dona"); the exact name of an item still matches.
pub(crate) fn is_keyword(t: &str) -> bool {
    is_filler(t)
        || is_separator(t)
        || word_quantity(t).is_some()
        || matches!(
            t,
            "menu"
                | "cart"
                | "checkout"
                | "done"
                | "bas"
                | "confirm"
                | "cancel"
                | "status"
                | "yes"
                | "haan"
                | "no"
                | "nahi"
                | "cash"
                | "bank"
                | "human"
                | "agent"
                | "manager"
        )
        || PRICE_WORDS.contains(&t)
}

/// Words of a price question ("zinger ka rate kya hai", "price of fries").
pub(crate) const PRICE_WORDS: &[&str] = &[
    "price", "prices", "rate", "rates", "cost", "kitna", "kitne", "kitnay", "qeemat", "much",
];

/// The singular a customer most likely meant: "fries" -> "fry", "burgers" -> "burger".
pub(crate) fn singular(t: &str) -> String {
    if t.len() > 4
        && let Some(stem) = t.strip_suffix("ies")
    {
        return format!("{stem}y");
    }
    if t.len() > 3
        && let Some(stem) = t.strip_suffix('s')
        && !stem.ends_with('s')
    {
        return stem.to_owned();
    }
    t.to_owned()
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps), on characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Rows i-2, i-1 and i of the usual dynamic programme.
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(prev2[j - 2] + 1);
            }
            cur[j] = best;
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// How a typed word matched a word of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum WordMatch {
    /// A small typo.
    Fuzzy,
    /// The same word, or its plural.
    Exact,
}

/// Compares a typed word with a word of a menu name: equal or plural is exact; otherwise a
/// typo of at most 1 edit for words of 4 letters or more, 2 for 7 or more (counted on the
/// shorter word). Keywords only match exactly.
pub(crate) fn word_match(typed: &str, name: &str) -> Option<WordMatch> {
    if typed == name || singular(typed) == singular(name) {
        return Some(WordMatch::Exact);
    }
    if is_keyword(typed) || typed.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let shorter = typed.chars().count().min(name.chars().count());
    let allowed = match shorter {
        0..=3 => return None,
        4..=6 => 1,
        _ => 2,
    };
    let close = edit_distance(typed, name) <= allowed
        || edit_distance(&singular(typed), &singular(name)) <= allowed;
    close.then_some(WordMatch::Fuzzy)
}

/// Whether `tokens` contains the words of `phrase` next to each other.
pub(crate) fn has_phrase(tokens: &[String], phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    tokens
        .windows(words.len())
        .any(|w| w.iter().zip(&words).all(|(a, b)| a == b))
}

/// Whether any of `words` is one of `tokens`.
pub(crate) fn has_any(tokens: &[String], words: &[&str]) -> bool {
    tokens.iter().any(|t| words.contains(&t.as_str()))
}

/// Cuts `s` to at most `max` characters, ending with "…" when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out = out.trim_end().to_owned();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_punctuation_and_quantities() {
        assert_eq!(
            tokens("Mujhe 2x Zinger-Burgers, & 3 FRIES!! that's all"),
            [
                "mujhe", "2", "zinger", "burgers", ",", ",", "3", "fries", "thats", "all"
            ]
        );
        assert_eq!(tokens("x3 fries"), ["3", "fries"]);
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("zinger", "zinger"), 0);
        assert_eq!(edit_distance("zingr", "zinger"), 1);
        assert_eq!(edit_distance("zigner", "zinger"), 1);
        assert_eq!(edit_distance("biryni", "biryani"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn word_match_allows_plurals_and_small_typos_only() {
        assert_eq!(word_match("burgers", "burger"), Some(WordMatch::Exact));
        assert_eq!(word_match("fry", "fries"), Some(WordMatch::Exact));
        assert_eq!(word_match("zingr", "zinger"), Some(WordMatch::Fuzzy));
        assert_eq!(word_match("biriyani", "biryani"), Some(WordMatch::Fuzzy));
        assert_eq!(
            word_match("brgr", "burger"),
            None,
            "two edits on a short word"
        );
        assert_eq!(
            word_match("tea", "pea"),
            None,
            "three letters must be exact"
        );
        assert_eq!(
            word_match("done", "dona"),
            None,
            "keywords never fuzzy-match"
        );
    }

    #[test]
    fn quantities_in_both_languages() {
        assert_eq!(word_quantity("teen"), Some(3));
        assert_eq!(word_quantity("chaar"), Some(4));
        assert_eq!(word_quantity("das"), Some(10));
        assert_eq!(word_quantity("seven"), Some(7));
        assert_eq!(digit_quantity("12"), Some(12));
        assert_eq!(digit_quantity("12a"), None);
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(
            truncate("Chicken Tikka Pizza Family Size", 20),
            "Chicken Tikka Pizza…"
        );
        assert_eq!(truncate("Fries", 20), "Fries");
    }
}
