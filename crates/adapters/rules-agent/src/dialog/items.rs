//! Item requests: adding (or setting the quantity of) what the customer named, asking which
//! item or variant when the words fit several, answering those questions, removing items.

use omni_domain::MenuItem;
use omni_ports::{AgentAction, AgentReply};

use super::{ADD_WORDS, Ask, SET_WORDS, Turn, Want, join_and, join_or, label};
use crate::cart::find_item;
use crate::parse::{Index, Parsed};
use crate::replies;
use crate::state;
use crate::text::{has_any, tokens};

impl<'a> Turn<'a> {
    /// Answers the first open question when the message fits it: a single item among the
    /// question's candidates ("zinger wala"), or a variant of the asked item ("large"). Returns
    /// `false` otherwise; the questions are then dropped and the message read afresh.
    pub(super) fn answer_pending(&mut self, words: &[String], parsed: &Parsed) -> bool {
        let Some(first) = self.old_asks.first().cloned() else {
            return false;
        };
        let want = match &first {
            Ask::Item {
                candidates,
                quantity,
                variant,
                words: asked,
            } => {
                let [seg] = parsed.segments.as_slice() else {
                    return false;
                };
                let fits: Vec<usize> = seg
                    .candidates
                    .iter()
                    .copied()
                    .filter(|&i| candidates.contains(&self.input.menu[i].id.to_string()))
                    .collect();
                let [pos] = fits.as_slice() else {
                    return false;
                };
                Want {
                    candidates: vec![*pos],
                    quantity: seg.quantity.or(Some(*quantity)),
                    variant: seg
                        .variant
                        .clone()
                        .or_else(|| variant.as_ref().map(|v| tokens(v))),
                    words: asked.clone(),
                }
            }
            Ask::Variant { item, quantity } => {
                let Some(pos) = self
                    .input
                    .menu
                    .iter()
                    .position(|m| m.id.to_string() == *item)
                else {
                    return false;
                };
                if parsed.segments.iter().any(|s| !s.candidates.contains(&pos)) {
                    return false;
                }
                let menu_item = &self.input.menu[pos];
                let Some(variant) = (0..words.len()).find_map(|start| {
                    (start + 1..=words.len()).find_map(|end| {
                        Index::variant_of(menu_item, &words[start..end])
                            .map(|_| words[start..end].to_vec())
                    })
                }) else {
                    return false;
                };
                let quantity = match parsed.segments.as_slice() {
                    [seg] => seg.quantity.unwrap_or(*quantity),
                    _ => *quantity,
                };
                Want {
                    candidates: vec![pos],
                    quantity: Some(quantity),
                    variant: Some(variant),
                    words: menu_item.name.clone(),
                }
            }
        };
        let rest = self.old_asks.split_off(1);
        self.order_items(vec![want], false, rest);
        true
    }

    pub(super) fn items(&mut self, parsed: Parsed, words: &[String]) {
        let set_mode = has_any(words, SET_WORDS) && !has_any(words, ADD_WORDS);
        let wants = parsed
            .segments
            .into_iter()
            .map(|s| Want {
                candidates: s.candidates,
                quantity: s.quantity,
                variant: s.variant,
                words: s.words,
            })
            .collect();
        self.order_items(wants, set_mode, Vec::new());
    }

    /// Adds (or, in `set_mode`, sets the quantity of) the wanted items, asks about the first
    /// unclear one, and replies with the cart. `rest` are older questions still open.
    pub(super) fn order_items(&mut self, wants: Vec<Want>, set_mode: bool, rest: Vec<Ask>) {
        if let Some(order) = self.placed()
            && !self.new_order
        {
            return self.inform(AgentReply::text(replies::in_progress(
                order,
                &self.input.payment_methods,
            )));
        }
        let mut done = Ordered::default();
        for want in wants {
            self.order_one(want, set_mode, &mut done);
        }
        self.reply_ordered(done, rest);
    }

    /// One wanted item: added or set when it is clear, else a note (out of range, not
    /// available) or a question (which item, which variant) in `done`.
    fn order_one(&mut self, want: Want, set_mode: bool, done: &mut Ordered) {
        let quantity = want.quantity.unwrap_or(1);
        if !(1..=99).contains(&quantity) {
            done.notes.push(replies::QUANTITY_RANGE.to_owned());
            return;
        }
        let menu = &self.input.menu;
        let Some(pos) = pick_item(menu, &want, quantity, done) else {
            return;
        };
        let item = &menu[pos];
        let Some(variant) = pick_variant(item, &want, quantity, done) else {
            return;
        };
        let id = item.id.to_string();
        if set_mode && want.quantity.is_some() && self.cart.quantity_of(item) > 0 {
            self.act(AgentAction::SetQuantity { item: id, quantity });
            done.updated
                .push(label(quantity, &item.name, variant.as_deref()));
        } else {
            self.act(AgentAction::AddItem {
                item: id,
                quantity,
                variant: variant.clone(),
            });
            done.added
                .push(label(quantity, &item.name, variant.as_deref()));
        }
    }

    /// The reply to a round of wanted items: what was added and updated, the notes, then the
    /// first open question, or else the cart.
    fn reply_ordered(&mut self, done: Ordered, rest: Vec<Ask>) {
        let Ordered {
            added,
            updated,
            notes,
            mut asks,
        } = done;
        if !added.is_empty() {
            self.new_order = false;
        }
        let mut head = Vec::new();
        if !added.is_empty() {
            head.push(format!("Added {}.", join_and(&added)));
        }
        if !updated.is_empty() {
            head.push(format!("Updated to {}.", join_and(&updated)));
        }
        head.extend(notes);
        asks.extend(rest);
        self.asks = asks;
        let changed = !added.is_empty() || !updated.is_empty();
        let mut text = head.join("\n");
        if changed {
            text.push_str("\n\n");
            text.push_str(&self.cart.text());
        }
        if let Some(ask) = self.asks.first().cloned() {
            if !text.is_empty() {
                self.replies.push(AgentReply::text(text));
            }
            let question = self.question(ask);
            return self.reply(question, state::CHOOSING);
        }
        if changed {
            let s = self.idle_state();
            return self.reply(replies::cart_buttons(text), s);
        }
        let s = self.idle_state();
        self.reply(replies::with_menu_button(text), s);
    }

    /// The question an open [`Ask`] puts to the customer.
    fn question(&self, ask: Ask) -> AgentReply {
        match ask {
            Ask::Item {
                candidates, words, ..
            } => {
                let items: Vec<&MenuItem> = candidates
                    .iter()
                    .filter_map(|c| find_item(&self.input.menu, c))
                    .collect();
                replies::which_item(&words, &items)
            }
            Ask::Variant { item, .. } => match find_item(&self.input.menu, &item) {
                Some(m) => replies::which_variant(m),
                None => AgentReply::text(replies::NOT_UNDERSTOOD),
            },
        }
    }

    /// "How much is a zinger?": the prices of the items named, nothing added.
    pub(super) fn prices(&mut self, parsed: &Parsed) {
        let mut lines = Vec::new();
        for seg in &parsed.segments {
            for &i in &seg.candidates {
                let item = &self.input.menu[i];
                let line = if item.available {
                    format!("{} — {}", item.name, replies::price_text(item))
                } else {
                    format!("{} — not available right now", item.name)
                };
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
        }
        self.inform(replies::with_menu_button(lines.join("\n")));
    }

    pub(super) fn remove(&mut self, parsed: Parsed) {
        if let Some(order) = self.placed() {
            return self.inform(AgentReply::text(replies::cannot_change(order)));
        }
        if self.cart.items.is_empty() {
            return self.reply(
                replies::with_menu_button(replies::EMPTY_CART),
                state::BROWSING,
            );
        }
        if parsed.segments.is_empty() {
            let text = format!("{}\n\n{}", replies::WHICH_REMOVE, self.cart.text());
            let s = self.idle_state();
            return self.reply(AgentReply::text(text), s);
        }
        let mut removed = Vec::new();
        let mut notes = Vec::new();
        for seg in parsed.segments {
            let in_cart: Vec<&MenuItem> = seg
                .candidates
                .iter()
                .map(|&i| &self.input.menu[i])
                .filter(|m| self.cart.quantity_of(m) > 0)
                .collect();
            match in_cart.as_slice() {
                [item] => {
                    let (id, name) = (item.id.to_string(), item.name.clone());
                    self.act(AgentAction::RemoveItem { item: id });
                    removed.push(name);
                }
                [] => {
                    let name = match seg.candidates.as_slice() {
                        [one] => self.input.menu[*one].name.clone(),
                        _ => seg.words,
                    };
                    notes.push(format!("{name} isn't in your cart."));
                }
                many => {
                    let names: Vec<String> = many.iter().map(|m| m.name.clone()).collect();
                    notes.push(format!("Which one should I remove: {}?", join_or(&names)));
                }
            }
        }
        let mut text = Vec::new();
        if !removed.is_empty() {
            text.push(format!("Removed {}.", join_and(&removed)));
        }
        text.extend(notes);
        let text = text.join("\n");
        if self.cart.items.is_empty() {
            let text = format!("{text}\nYour cart is now empty.");
            return self.reply(replies::with_menu_button(text), state::BROWSING);
        }
        let text = format!("{text}\n\n{}", self.cart.text());
        self.reply(replies::cart_buttons(text), state::ORDERING);
    }
}

/// What a round of wanted items did: labels added and updated, notes, new questions.
#[derive(Default)]
struct Ordered {
    added: Vec<String>,
    updated: Vec<String>,
    notes: Vec<String>,
    asks: Vec<Ask>,
}

/// The menu position of the wanted item when exactly one available item fits; otherwise a
/// note (not available) or a question (which of these) in `done`, and `None`.
fn pick_item(menu: &[MenuItem], want: &Want, quantity: u32, done: &mut Ordered) -> Option<usize> {
    let available: Vec<usize> = want
        .candidates
        .iter()
        .copied()
        .filter(|&i| menu[i].available)
        .collect();
    match (want.candidates.as_slice(), available.as_slice()) {
        ([only], _) if !menu[*only].available => {
            done.notes.push(format!(
                "Sorry, {} is not available right now.",
                menu[*only].name
            ));
            None
        }
        (_, []) => {
            done.notes
                .push(format!("Sorry, {} is not available right now.", want.words));
            None
        }
        (_, [one]) => Some(*one),
        (_, many) => {
            done.asks.push(Ask::Item {
                candidates: many.iter().map(|&i| menu[i].id.to_string()).collect(),
                quantity,
                variant: want.variant.as_ref().map(|v| v.join(" ")),
                words: want.words.clone(),
            });
            None
        }
    }
}

/// The variant to order: none for an item without variants, the named one, or the only one;
/// otherwise a question (which variant) in `done`, and `None`.
fn pick_variant(
    item: &MenuItem,
    want: &Want,
    quantity: u32,
    done: &mut Ordered,
) -> Option<Option<String>> {
    if item.variants.is_empty() {
        Some(None)
    } else if let Some(v) = want
        .variant
        .as_deref()
        .and_then(|v| Index::variant_of(item, v))
    {
        Some(Some(item.variants[v].name.clone()))
    } else if let [only] = item.variants.as_slice() {
        Some(Some(only.name.clone()))
    } else {
        done.asks.push(Ask::Variant {
            item: item.id.to_string(),
            quantity,
        });
        None
    }
}
