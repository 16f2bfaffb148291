"""``greenport users tokens list|revoke``, ``greenport users demo-accounts``: API tokens and
demo accounts, for the operator of the machine (who may see and revoke every user's tokens)."""

from __future__ import annotations

import typer

from greenport.accounts import service as accounts_service
from greenport.accounts.model import COMMAND_LINE
from greenport.cli.context import console, container, fail, print_json
from greenport.kernel.errors import DomainError
from greenport.kernel.time import format_local

users_app = typer.Typer(
    help="User accounts: e-mail address, API tokens, demo accounts.", no_args_is_help=True
)
tokens_app = typer.Typer(
    help="API bearer tokens: list and revoke (secrets are never shown).", no_args_is_help=True
)

DATABASE_HELP = "Database URL (default: GREENPORT_DATABASE_URL)."


@tokens_app.command("list")
def list_tokens(
    user: str = typer.Option(None, "--user", help="Only the tokens of this user name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """List API tokens (id, name, user, created, expires, revoked), newest first; times in
    Beijing time (--json: ISO 8601 with offset)."""
    app = container(database)
    try:
        with app.uow() as uow:
            user_id = accounts_service.get_user(uow, username=user).id if user is not None else None
            rows = accounts_service.list_tokens(uow, user_id=user_id)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"data": rows, "count": len(rows)})
        return
    for row in rows:
        state = "revoked" if row["revoked"] else f"expires {format_local(row['expires_at'])}"
        console.print(
            f"{row['id']:>5}  {row['username']:<20} {row['name']:<30} "
            f"created {format_local(row['created_at'])}, {state}",
            markup=False,
        )


@tokens_app.command("revoke")
def revoke_token(
    token_id: int = typer.Argument(..., min=1, help="Id of the token (see `greenport users tokens list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Revoke token TOKEN_ID at once (running web workers forget it within 10 s)."""
    app = container(database)
    try:
        with app.uow() as uow:
            accounts_service.revoke_token(uow, token_id=token_id)
            accounts_service.record_audit(
                uow, principal=COMMAND_LINE, action="revoke", entity="api_token", entity_id=str(token_id)
            )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"ok": True, "id": token_id})
    else:
        console.print(f"token {token_id} revoked")


@users_app.command("set")
def set_user(
    username: str = typer.Argument(..., help="User name."),
    email: str = typer.Option(None, "--email", help='E-mail address for notifications ("" removes it).'),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Change a user's details: --email sets where their e-mail notifications go (audited)."""
    if email is None:
        fail("nothing to change: give --email", as_json=as_json)
    app = container(database)
    try:
        with app.uow() as uow:
            user = accounts_service.set_email(uow, username=username, email=email)
            accounts_service.record_audit(
                uow,
                principal=COMMAND_LINE,
                action="update",
                entity="user",
                entity_id=str(user.id),
                detail={"email": user.email},
            )
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"ok": True, "username": user.username, "email": user.email})
    else:
        console.print(f"{user.username}: e-mail {user.email or '(none)'}", markup=False)


@users_app.command("demo-accounts")
def demo_accounts(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """List active accounts made by the demo city (public passwords; refused in production)."""
    app = container(database)
    with app.uow() as uow:
        names = accounts_service.demo_accounts(uow)
    if as_json:
        print_json({"data": names, "count": len(names)})
    else:
        for name in names:
            console.print(name, markup=False)


def register(app: typer.Typer) -> None:
    users_app.add_typer(tokens_app, name="tokens")
    app.add_typer(users_app, name="users")
