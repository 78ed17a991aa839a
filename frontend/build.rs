//! Generates the app's typed GraphQL client from `queries/*.graphql`, checked against
//! `../server/schema.graphql`: a renamed or removed field fails this build.
//!
//! graphql_client's code generator does the checking and the types. This script adds
//! two things it lacks:
//! - **one operation per request.** graphql_client sends its whole query document, and
//!   async-graphql validates and costs every operation of a document, not only the one
//!   named. So each operation is generated from a document of its own: the operation
//!   plus the fragments it uses (transitively).
//! - **shared types.** graphql_client gives each operation its own copy of a fragment's
//!   structs and of every input type and enum it uses, so a candidate read by two
//!   queries, or a filter sent by two mutations, would be two Rust types. The structs
//!   generated for a fragment (named after it, e.g. `CandidateFields`,
//!   `CandidateFieldsApplications`) move into one `fragments` module, the schema's input
//!   objects and enums into one `inputs` module, and every operation's module re-exports
//!   both.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};

use graphql_client_codegen::{CodegenMode, GraphQLClientCodegenOptions, generate_module_token_stream_from_string};
use graphql_parser::query::{Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet};
use quote::quote;

/// Schema enums the app takes from `talentpost_shared` (same names, same SCREAMING_CASE
/// values), so pages and the server share one definition. The others (`IntakeChannel`,
/// a GraphQL-only choice) are generated where an operation uses them.
const SHARED_ENUMS: &[&str] = &[
    "ApplicationStatus",
    "CandidateStatus",
    "ContactMedium",
    "DashboardPeriod",
    "DataRetention",
    "DuplicateReason",
    "DuplicateStatus",
    "InboundAuthMethod",
    "InboundProtocol",
    "InboundStatus",
    "InboxMedium",
    "InboxState",
    "JobOpeningStatus",
    "MailProblem",
    "MailSecurity",
    "MailSource",
    "MatchReasonCode",
    "NurturingEntryState",
    "OauthAccountState",
    "OauthProvider",
    "OauthPurpose",
    "OutboxChannel",
    "OutboxPurpose",
    "OutboxStatus",
    "ParseStatus",
    "Role",
    "SenderChannel",
    "SenderNameMode",
    "SourceMedium",
    "SuggestionReason",
    "Weekday",
    "WritingJobKind",
];

type BuildResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

fn main() -> BuildResult<()> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let schema = manifest.join("../server/schema.graphql");
    let queries = manifest.join("queries");
    println!("cargo::rerun-if-changed={}", schema.display());
    println!("cargo::rerun-if-changed={}", queries.display());

    let sources = read_queries(&queries)?;
    let mut documents = Vec::new();
    for (path, text) in &sources {
        println!("cargo::rerun-if-changed={}", path.display());
        let document = graphql_parser::parse_query::<String>(text)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .into_static();
        documents.push((path.clone(), document));
    }
    let catalogue = Catalogue::from_documents(&documents)?;
    let schema_text = std::fs::read_to_string(&schema)?;
    let schema_types = input_and_enum_names(&schema_text)?;

    let mut shared = Shared::default();
    let mut operation_items = Vec::new();
    for (name, operation) in &catalogue.operations {
        let document = catalogue.document_for(operation)?;
        let mut options = GraphQLClientCodegenOptions::new(CodegenMode::Cli);
        options.set_operation_name(name.clone());
        options.set_module_visibility(syn::parse_quote!(pub));
        options.set_response_derives("Clone,PartialEq".to_owned());
        options.set_variables_derives("Clone".to_owned());
        options.set_extern_enums(SHARED_ENUMS.iter().map(|name| (*name).to_owned()).collect());
        let tokens = generate_module_token_stream_from_string(&document, &schema, options)
            .map_err(|e| format!("operation {name}: {e}"))?;
        let file: syn::File = syn::parse2(tokens)?;
        for item in file.items {
            operation_items.push(shared.take_from(item, &catalogue.fragments, &schema_types));
        }
    }

    let fragments = shared.fragments.into_values().flatten();
    let inputs = shared.inputs.into_values().flatten();
    // What graphql_client puts at the top of every operation's module.
    let prelude = quote! {
        #![allow(dead_code)]
        use serde::{Deserialize, Serialize};
        use super::*;
        type Boolean = bool;
        type Float = f64;
        type Int = i64;
        type ID = String;
    };
    let generated = quote! {
        /// The structs of every fragment in `queries/`, shared by all operations.
        pub mod fragments {
            #prelude
            #(#fragments)*
        }
        /// The schema's input objects and its enums that `talentpost_shared` does not
        /// provide, shared by all operations.
        pub mod inputs {
            #prelude
            #(#inputs)*
        }
        #(#operation_items)*
    };
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("operations.rs");
    std::fs::write(out, generated.to_string())?;
    Ok(())
}

fn read_queries(folder: &Path) -> BuildResult<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.extension().is_some_and(|extension| extension == "graphql") {
            let text = std::fs::read_to_string(&path)?;
            files.push((path, text));
        }
    }
    files.sort();
    Ok(files)
}

/// Every operation and fragment of `queries/`, by name, as text of its own.
struct Catalogue {
    operations: BTreeMap<String, Entry>,
    fragments: BTreeMap<String, Entry>,
}

struct Entry {
    text: String,
    /// The fragments spread directly in it.
    spreads: BTreeSet<String>,
}

impl Catalogue {
    fn from_documents(documents: &[(PathBuf, Document<'static, String>)]) -> BuildResult<Self> {
        let mut operations = BTreeMap::new();
        let mut fragments = BTreeMap::new();
        for (path, document) in documents {
            for definition in &document.definitions {
                let (name, entry, into) = match definition {
                    Definition::Fragment(fragment) => (fragment.name.clone(), fragment_entry(fragment), &mut fragments),
                    Definition::Operation(operation) => {
                        let (name, selection) = named_operation(operation)
                            .ok_or_else(|| format!("{}: every operation needs a name", path.display()))?;
                        let entry = Entry {
                            text: operation.to_string(),
                            spreads: spreads(selection),
                        };
                        (name, entry, &mut operations)
                    }
                };
                if into.insert(name.clone(), entry).is_some() {
                    return Err(format!("{}: {name} is defined twice in queries/", path.display()).into());
                }
            }
        }
        // Fragment structs are told apart from an operation's by their name's prefix.
        for name in fragments.keys() {
            if !name.ends_with("Fields") {
                return Err(format!("fragment {name}: fragment names end in \"Fields\"").into());
            }
        }
        if let Some(name) = operations.keys().find(|name| name.contains("Fields")) {
            return Err(format!("operation {name}: only fragment names contain \"Fields\"").into());
        }
        Ok(Self { operations, fragments })
    }

    /// The operation with every fragment it needs, as one document.
    fn document_for(&self, operation: &Entry) -> BuildResult<String> {
        let mut needed = BTreeSet::new();
        let mut open: Vec<&String> = operation.spreads.iter().collect();
        while let Some(name) = open.pop() {
            if needed.insert(name.clone()) {
                let fragment = self
                    .fragments
                    .get(name)
                    .ok_or_else(|| format!("fragment {name} is used but not defined in queries/"))?;
                open.extend(fragment.spreads.iter());
            }
        }
        let mut document = operation.text.clone();
        for name in needed {
            if let Some(fragment) = self.fragments.get(&name) {
                document.push('\n');
                document.push_str(&fragment.text);
            }
        }
        Ok(document)
    }
}

fn fragment_entry(fragment: &FragmentDefinition<'static, String>) -> Entry {
    Entry {
        text: fragment.to_string(),
        spreads: spreads(&fragment.selection_set),
    }
}

fn named_operation<'a>(
    operation: &'a OperationDefinition<'static, String>,
) -> Option<(String, &'a SelectionSet<'static, String>)> {
    match operation {
        OperationDefinition::Query(query) => Some((query.name.clone()?, &query.selection_set)),
        OperationDefinition::Mutation(mutation) => Some((mutation.name.clone()?, &mutation.selection_set)),
        OperationDefinition::Subscription(subscription) => {
            Some((subscription.name.clone()?, &subscription.selection_set))
        }
        OperationDefinition::SelectionSet(_) => None,
    }
}

fn spreads(selection_set: &SelectionSet<'static, String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for selection in &selection_set.items {
        match selection {
            Selection::Field(field) => found.extend(spreads(&field.selection_set)),
            Selection::FragmentSpread(spread) => {
                found.insert(spread.fragment_name.clone());
            }
            Selection::InlineFragment(inline) => found.extend(spreads(&inline.selection_set)),
        }
    }
    found
}

/// The input objects and enums the schema defines, by name.
fn input_and_enum_names(schema: &str) -> BuildResult<BTreeSet<String>> {
    use graphql_parser::schema::{Definition, TypeDefinition};
    let document = graphql_parser::parse_schema::<String>(schema).map_err(|e| format!("server/schema.graphql: {e}"))?;
    Ok(document
        .definitions
        .into_iter()
        .filter_map(|definition| match definition {
            Definition::TypeDefinition(TypeDefinition::InputObject(input)) => Some(input.name),
            Definition::TypeDefinition(TypeDefinition::Enum(enumeration)) => Some(enumeration.name),
            _ => None,
        })
        .collect())
}

/// The items moved out of the operations' modules, the first copy of each.
#[derive(Default)]
struct Shared {
    /// By fragment: all the structs generated for it.
    fragments: BTreeMap<String, Vec<syn::Item>>,
    /// By input object or enum: its definition and impls.
    inputs: BTreeMap<String, Vec<syn::Item>>,
}

impl Shared {
    /// Takes the fragment structs, input objects and enums out of an operation's module
    /// (keeping the first copy of each) and re-exports them from the shared modules.
    fn take_from(
        &mut self,
        item: syn::Item,
        fragments: &BTreeMap<String, Entry>,
        schema_types: &BTreeSet<String>,
    ) -> syn::Item {
        let syn::Item::Mod(mut module) = item else {
            return item;
        };
        if let Some((_, items)) = module.content.as_mut() {
            let mut kept = Vec::with_capacity(items.len());
            let mut found_fragments: BTreeMap<String, Vec<syn::Item>> = BTreeMap::new();
            let mut found_inputs: BTreeMap<String, Vec<syn::Item>> = BTreeMap::new();
            for item in items.drain(..) {
                let Some(name) = item_name(&item) else {
                    kept.push(item);
                    continue;
                };
                let fragment = fragments
                    .keys()
                    .filter(|fragment| name.starts_with(fragment.as_str()))
                    .max_by_key(|fragment| fragment.len());
                if let Some(fragment) = fragment {
                    found_fragments.entry(fragment.clone()).or_default().push(item);
                } else if schema_types.contains(&name) {
                    found_inputs.entry(name).or_default().push(item);
                } else {
                    kept.push(item);
                }
            }
            for (fragment, items) in found_fragments {
                self.fragments.entry(fragment).or_insert(items);
            }
            for (name, items) in found_inputs {
                self.inputs.entry(name).or_insert(items);
            }
            kept.push(syn::parse_quote!(
                #[allow(unused_imports)]
                pub use super::fragments::*;
            ));
            kept.push(syn::parse_quote!(
                #[allow(unused_imports)]
                pub use super::inputs::*;
            ));
            *items = kept;
        }
        syn::Item::Mod(module)
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    match item {
        syn::Item::Struct(item) => Some(item.ident.to_string()),
        syn::Item::Enum(item) => Some(item.ident.to_string()),
        syn::Item::Type(item) => Some(item.ident.to_string()),
        syn::Item::Impl(item) => match &*item.self_ty {
            syn::Type::Path(path) => path.path.segments.last().map(|segment| segment.ident.to_string()),
            _ => None,
        },
        _ => None,
    }
}
