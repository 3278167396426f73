"""Sign-in and sessions: guests at once, accounts with email and password, refresh tokens that rotate.

A session is a family of refresh tokens: each refresh marks the token used and issues the next one. A used
token presented again, later than a short leeway (two tabs refreshing at the same moment), means it was copied:
the whole family is revoked and whoever holds it must sign in again.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chat_api.auth import emails, passwords, throttle
from chat_api.auth.revocation import Revocations
from chat_api.auth.tokens import Identity, TokenSigner, hash_refresh_token, new_refresh_token, unauthorized
from chat_api.http.errors import ApiError
from chat_api.settings import Settings
from chat_api.storage.engine import Sessions
from chat_api.storage.models import Conversation, Message, RefreshToken, User, utcnow

if TYPE_CHECKING:
    from chat_api.auth.oidc.service import OidcSignIns

REUSE_LEEWAY: Final = timedelta(seconds=10)
SEEN_EVERY: Final = timedelta(minutes=1)


class RefreshRaced(ApiError):
    """The token was refreshed a moment ago (another tab): not a theft; the new cookie is already set."""

    def __init__(self) -> None:
        super().__init__(
            401, "unauthorized", "This session was refreshed a moment ago: retry.", {"WWW-Authenticate": "Bearer"}
        )


@dataclass(frozen=True)
class SignedIn:
    identity: Identity
    user: User  # as it was when the session started (detached)
    access_token: str
    expires_in: int
    refresh_token: str


class AuthService:
    def __init__(self, sessions: Sessions, signer: TokenSigner, revocations: Revocations, settings: Settings) -> None:
        self.sessions = sessions
        self.signer = signer
        self.revocations = revocations
        self.refresh_ttl = timedelta(days=settings.REFRESH_TOKEN_TTL_DAYS)
        self.limits = throttle.LoginLimits(
            window_s=settings.LOGIN_WINDOW_S,
            per_account_and_address=settings.LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
            per_account=settings.LOGIN_MAX_FAILURES_PER_ACCOUNT,
            per_address=settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
            max_delay_s=settings.LOGIN_MAX_DELAY_S,
        )
        self.oidc: OidcSignIns | None = None  # sign-in with the organisation's provider, when configured

    async def authenticate(self, access_token: str) -> Identity:
        """The identity an access token names, if its session, its user and its epoch are all still current."""
        identity = self.signer.verify(access_token)
        await self.revocations.check(identity)
        return identity

    async def start_guest(self) -> SignedIn:
        async with self.sessions.begin() as session:
            user = User()
            session.add(user)
            await session.flush()
            return await self._new_session(session, user, family_id=uuid.uuid4())

    async def register(self, current: Identity | None, email_given: str, password: str) -> SignedIn:
        """A full account: the current guest becomes one (keeping its conversations), or a new user."""
        email = emails.normalise(email_given)
        await passwords.check_new_password(password, email.address)
        password_hash = await passwords.hash_password(password)
        try:
            async with self.sessions.begin() as session:
                user = await session.get(User, current.user_id) if current is not None else None
                if user is not None and not user.is_guest:
                    raise ApiError(409, "conflict", "You are signed in to an account already. Sign out first.")
                if user is None:
                    user = User()
                    session.add(user)
                user.email, user.email_key = email.address, email.key
                user.password_hash, user.upgraded_at = password_hash, utcnow()
                await session.flush()
                # The guest's session goes on as the account's (its access token too), with a new refresh
                # token; any other session of the guest ends.
                family = current.session_id if current is not None and current.user_id == user.id else uuid.uuid4()
                ended = set(
                    await session.scalars(
                        select(RefreshToken.family_id).where(
                            RefreshToken.user_id == user.id,
                            RefreshToken.revoked_at.is_(None),
                            RefreshToken.family_id != family,
                        )
                    )
                )
                await self._revoke_all(session, user.id)
                signed_in = await self._new_session(session, user, family_id=family)
        except IntegrityError:
            raise ApiError(
                409,
                "conflict",
                "An account with this email exists (or with one that differs only by case, a +tag or, at Gmail, "
                "dots). Sign in instead.",
            ) from None
        for other in ended:
            await self.revocations.session_ended(other)
        return signed_in

    async def sign_in(self, email_given: str, password: str, address: str) -> SignedIn:
        email = emails.normalise(email_given)
        # Counted (and committed) before the slow password check, so concurrent guesses cannot pass the limit.
        async with self.sessions.begin() as session:
            await throttle.count_attempt(session, self.limits, email.key, address)
        async with self.sessions() as session:
            user = await account_with_email(session, email)
        verified = await passwords.verify_password(password, user.password_hash if user else None)
        if user is None or not verified:
            raise unauthorized("The email or the password is wrong.")
        async with self.sessions.begin() as session:
            await throttle.signed_in(session, self.limits, email.key, address)
            return await self._new_session(session, user, family_id=uuid.uuid4())

    async def guest_behind(self, refresh_token: str | None) -> uuid.UUID | None:
        """The guest whose live session this refresh token is (without using it up), else None."""
        if not refresh_token:
            return None
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(User)
                    .join(RefreshToken, RefreshToken.user_id == User.id)
                    .where(
                        RefreshToken.token_hash == hash_refresh_token(refresh_token),
                        RefreshToken.revoked_at.is_(None),
                        RefreshToken.expires_at > utcnow(),
                    )
                )
            ).scalar_one_or_none()
        return row.id if row is not None and row.is_guest else None

    async def sign_in_with_provider(
        self, issuer: str, subject: str, name: str | None, tier: str, guest_id: uuid.UUID | None
    ) -> SignedIn:
        """The account the provider vouches for, keyed by (issuer, subject), made at its first sign-in; its tier
        and name as the provider says now. A guest signing in keeps its conversations: a new account is the
        guest itself (as at registration), an existing one takes the guest's conversations and the guest goes."""
        for attempt in range(2):
            try:
                return await self._sign_in_with_provider(issuer, subject, name, tier, guest_id)
            except IntegrityError:
                if attempt:  # the same first sign-in, twice at once: the other made the account, so find it
                    raise
        raise AssertionError("unreachable")

    async def _sign_in_with_provider(
        self, issuer: str, subject: str, name: str | None, tier: str, guest_id: uuid.UUID | None
    ) -> SignedIn:
        async with self.sessions.begin() as session:
            user = await session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
            guest = await session.get(User, guest_id) if guest_id is not None else None
            if guest is not None and not guest.is_guest:
                guest = None  # it became an account meanwhile: its conversations are its own
            if user is None and guest is not None:
                user, guest = guest, None
                user.oidc_issuer, user.oidc_subject, user.upgraded_at = issuer, subject, utcnow()
                await self._end_every_session(session, user)  # the guest's sessions end; the account's starts below
            elif user is None:
                user = User(oidc_issuer=issuer, oidc_subject=subject)
                session.add(user)
            if guest is not None:
                await session.execute(
                    update(Conversation).where(Conversation.user_id == guest.id).values(user_id=user.id)
                )
                await session.execute(delete(User).where(User.id == guest.id))
            user.display_name, user.tier = name, tier
            await session.flush()
            signed_in = await self._new_session(session, user, family_id=uuid.uuid4())
        if guest_id is not None:
            await self.revocations.user_changed(guest_id)
        return signed_in

    async def refresh(self, token: str | None) -> SignedIn:
        if not token:
            raise unauthorized("No session: sign in, or continue as a guest.")
        now = utcnow()
        async with self.sessions.begin() as session:
            stored = await session.scalar(
                select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(token))
            )
            if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
                raise unauthorized()
            used = await session.execute(
                update(RefreshToken)
                .where(RefreshToken.id == stored.id, RefreshToken.rotated_at.is_(None))
                .values(rotated_at=now)
            )
            if used.rowcount != 1:  # type: ignore[attr-defined]
                await session.refresh(stored)
                if stored.rotated_at is not None and now - stored.rotated_at <= REUSE_LEEWAY:
                    raise RefreshRaced()
                await session.execute(
                    update(RefreshToken)
                    .where(RefreshToken.family_id == stored.family_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                await session.commit()
                await self.revocations.session_ended(stored.family_id)
                raise unauthorized("This session was used elsewhere and has been ended for safety. Sign in again.")
            user = await session.get(User, stored.user_id)
            if user is None:
                raise unauthorized()
            return await self._new_session(session, user, family_id=stored.family_id)

    async def account(self, identity: Identity) -> User:
        async with self.sessions() as session:
            user = await session.get(User, identity.user_id)
        if user is None:
            raise unauthorized()
        return user

    async def sign_out(self, token: str | None) -> None:
        if not token:
            return
        async with self.sessions.begin() as session:
            family = await session.scalar(
                select(RefreshToken.family_id).where(RefreshToken.token_hash == hash_refresh_token(token))
            )
            if family is not None:
                await session.execute(
                    update(RefreshToken)
                    .where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                )
        if family is not None:
            await self.revocations.session_ended(family)

    async def sign_out_everywhere(self, identity: Identity) -> None:
        async with self.sessions.begin() as session:
            user = await session.get(User, identity.user_id)
            if user is not None:
                await self._end_every_session(session, user)
        await self.revocations.user_changed(identity.user_id)

    async def change_password(self, identity: Identity, current: str, new: str) -> SignedIn:
        """Every other session ends; this one goes on with a new refresh token."""
        async with self.sessions.begin() as session:
            user = await session.get(User, identity.user_id)
        if user is not None and user.password_hash is None and user.oidc_subject is not None:
            raise ApiError(
                409, "conflict", "This account signs in with its organisation's provider: it has no password."
            )
        if user is None or user.password_hash is None:
            raise ApiError(409, "conflict", "A guest has no password: keep your chats by creating an account.")
        if not await passwords.verify_password(current, user.password_hash):
            raise ApiError(403, "forbidden", "The current password is wrong.")
        await passwords.check_new_password(new, user.email or "")
        new_hash = await passwords.hash_password(new)
        async with self.sessions.begin() as session:
            await session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
            await self._end_every_session(session, user)
            signed_in = await self._new_session(session, user, family_id=uuid.uuid4())
        await self.revocations.user_changed(user.id)
        return signed_in

    async def set_disabled(self, user_id: uuid.UUID, disabled: bool) -> None:
        """Disabled: refused from the next request on (its sessions end; signing in and refreshing are refused).
        Enabled again: it signs in again."""
        async with self.sessions.begin() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise ApiError(404, "not_found", "No such user.")
            user.disabled_at = utcnow() if disabled else None
            if disabled:
                await self._end_every_session(session, user)
        await self.revocations.user_changed(user_id)

    async def confirm_deletion(self, identity: Identity, password: str | None) -> None:
        """An account with a password deletes itself only with it (a guest has none: its confirmation is the
        UI's)."""
        user = await self.account(identity)
        if user.password_hash is None:
            return
        if password is None:
            raise ApiError(422, "invalid_request", "password: your password is needed to delete the account")
        if not await passwords.verify_password(password, user.password_hash):
            raise ApiError(403, "forbidden", "The password is wrong.")

    async def delete_account(self, identity: Identity) -> None:
        """The user and everything of theirs, at once and for good: conversations, messages, summaries,
        sessions. Its access tokens are refused from the next request, on every replica."""
        async with self.sessions.begin() as session:
            user = await session.get(User, identity.user_id)
            if user is None:
                raise unauthorized()
            owned = select(Conversation.id).where(Conversation.user_id == user.id)
            # Messages first, as a conversation's deletion does (their tree refers to itself); summaries,
            # conversations and refresh tokens go with their rows by the foreign keys' cascade.
            await session.execute(delete(Message).where(Message.conversation_id.in_(owned)))
            await session.execute(delete(User).where(User.id == user.id))
        await self.revocations.user_changed(identity.user_id)

    async def _revoke_all(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )

    async def _end_every_session(self, session: AsyncSession, user: User) -> None:
        """Every refresh token revoked and the token epoch moved on: every access token issued so far ends."""
        await self._revoke_all(session, user.id)
        await session.execute(update(User).where(User.id == user.id).values(token_epoch=User.token_epoch + 1))
        epoch = await session.scalar(select(User.token_epoch).where(User.id == user.id))
        user.token_epoch = epoch if epoch is not None else user.token_epoch + 1

    async def _new_session(self, session: AsyncSession, user: User, family_id: uuid.UUID) -> SignedIn:
        if user.disabled_at is not None:
            raise unauthorized("This account is disabled.")
        await _seen(session, user.id)
        token = new_refresh_token()
        session.add(
            RefreshToken(
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(token),
                expires_at=utcnow() + self.refresh_ttl,
            )
        )
        identity = Identity(user.id, guest=user.is_guest, session_id=family_id, epoch=user.token_epoch, tier=user.tier)
        return SignedIn(identity, user, self.signer.issue(identity), self.signer.ttl_s, token)


async def _seen(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The user's last sighting (the admin view's "last seen"), at each sign-in and refresh: at most once a minute,
    so that many tabs refreshing together write once."""
    now = utcnow()
    await session.execute(
        update(User)
        .where(User.id == user_id, or_(User.last_seen_at.is_(None), User.last_seen_at < now - SEEN_EVERY))
        .values(last_seen_at=now)
    )


async def account_with_email(session: AsyncSession, email: emails.Email) -> User | None:
    """The account with this exact address, else the one with its key (a look-alike: a +tag, Gmail dots)."""
    matches = (
        await session.scalars(select(User).where(or_(User.email == email.address, User.email_key == email.key)))
    ).all()
    return next((user for user in matches if user.email == email.address), matches[0] if matches else None)
