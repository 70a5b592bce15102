//! A demand (诉求) as a form holds it: raised on its own, or any number of them with a
//! visit, in one submit.

use crate::domain::service_request::{Category, Priority};
use crate::service::requests::NewRequest;
use crate::web::form::FieldErrors;
use crate::web::messages::t;
use crate::web::pages::{Choice, choices};
use serde::Deserialize;

/// The demand fields of a form: each repeats once per demand, in order.
#[derive(Debug, Default, Deserialize)]
pub struct DemandFields {
    #[serde(default)]
    pub demand_category: Vec<String>,
    #[serde(default)]
    pub demand_priority: Vec<String>,
    #[serde(default)]
    pub demand_title: Vec<String>,
    #[serde(default)]
    pub demand_description: Vec<String>,
}

/// One demand of the form as shown: its values and the messages beside them.
#[derive(Debug, Clone)]
pub struct DemandSlot {
    pub index: usize,
    pub categories: Vec<Choice>,
    pub priorities: Vec<Choice>,
    pub title: String,
    pub description: String,
    pub title_error: Option<String>,
    pub description_error: Option<String>,
    pub category_error: Option<String>,
}

impl DemandSlot {
    pub fn blank(index: usize) -> Self {
        Self::filled(index, "", Priority::Normal.as_str(), String::new(), String::new())
    }

    /// The slot, left empty where a demand is the whole form: both texts are required.
    pub fn required(mut self) -> Self {
        self.title_error = Some(t("form.blank").to_owned());
        self.description_error = Some(t("form.blank").to_owned());
        self
    }

    fn filled(index: usize, category: &str, priority: &str, title: String, description: String) -> Self {
        Self {
            index,
            categories: choices(&Category::ALL, Category::label, &[category]),
            priorities: choices(&Priority::ALL, Priority::label, &[priority]),
            title,
            description,
            title_error: None,
            description_error: None,
            category_error: None,
        }
    }
}

impl DemandFields {
    /// The slots as submitted (at least `minimum`), and the demands they raise: a slot
    /// with neither title nor description raises none. Each demand comes with the index
    /// of its slot, for the messages of the use case to find their way back.
    pub fn read(&self, minimum: usize, errors: &mut FieldErrors) -> (Vec<DemandSlot>, Vec<(usize, NewRequest)>) {
        let count = self.demand_title.len().max(self.demand_description.len()).max(minimum);
        let at = |list: &Vec<String>, i: usize| list.get(i).cloned().unwrap_or_default();
        let mut slots = Vec::with_capacity(count);
        let mut raised = Vec::new();
        for index in 0..count {
            let (category, priority) = (at(&self.demand_category, index), at(&self.demand_priority, index));
            let (title, description) = (at(&self.demand_title, index), at(&self.demand_description, index));
            let blank = title.trim().is_empty() && description.trim().is_empty();
            let mut slot = DemandSlot::filled(index, &category, &priority, title.clone(), description.clone());
            if !blank {
                let category = Category::try_from(category);
                let priority = Priority::try_from(priority).unwrap_or(Priority::Normal);
                if title.trim().is_empty() {
                    slot.title_error = Some(t("form.blank").to_owned());
                }
                if description.trim().is_empty() {
                    slot.description_error = Some(t("form.blank").to_owned());
                }
                match category {
                    Ok(category) if slot.title_error.is_none() && slot.description_error.is_none() => {
                        let request = NewRequest {
                            category,
                            priority,
                            title: title.trim().to_owned(),
                            description: description.trim().to_owned(),
                            visit_id: None,
                        };
                        raised.push((index, request));
                    }
                    Ok(_) => {}
                    Err(_) => slot.category_error = Some(t("form.choose").to_owned()),
                }
                if slot.title_error.is_some() || slot.description_error.is_some() || slot.category_error.is_some() {
                    errors.add(format!("demand[{index}]"), t("form.see_below"));
                }
            }
            slots.push(slot);
        }
        (slots, raised)
    }
}

/// Puts the use case's messages about demand `k` (`requests[k].title`, or `title` for a
/// demand on its own) beside the fields of its slot.
pub fn place_errors(slots: &mut [DemandSlot], errors: &FieldErrors, raised: &[usize], prefix: &str) {
    for (k, &index) in raised.iter().enumerate() {
        let Some(slot) = slots.get_mut(index) else { continue };
        let field = |name: &str| if prefix.is_empty() { name.to_owned() } else { format!("{prefix}[{k}].{name}") };
        slot.title_error = slot.title_error.take().or_else(|| errors.of(&field("title")).map(str::to_owned));
        slot.description_error =
            slot.description_error.take().or_else(|| errors.of(&field("description")).map(str::to_owned));
    }
}
