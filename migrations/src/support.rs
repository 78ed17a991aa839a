//! Small builders the migrations share. The first migration keeps its own copies (its
//! foreign keys carry no ON UPDATE clause, and what already ran stays as it was).

use sea_orm_migration::prelude::*;

pub fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::NoAction)
        .take()
}

pub fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create().name(name).table(table).take();
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement
}
