"""Account forms: shape checks only; the rules live in auth.services."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.forms import choices, text_field

LOCALE_CHOICES = choices([("", _l("Browser language")), ("fr", "Français"), ("en", "English")])


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


def new_password_field(label: Any) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters. A sentence you remember is a good choice."),
        render_kw={"autocomplete": "new-password"},
    )


class ResetPasswordForm(FlaskForm):
    """A new password, typed twice (a reset link, or the profile's password page)."""

    new_password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )


class EditProfileForm(FlaskForm):
    display_name = text_field(_l("Name"), 120, required=True, in_headers=True)
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)


class AcceptInvitationForm(FlaskForm):
    display_name = text_field(_l("Your name"), 120, required=True, in_headers=True)
    password = new_password_field(_l("Choose a password"))
    confirm = PasswordField(
        _l("Password, again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)


class JoinPanelForm(FlaskForm):
    """Joining an academy's tester panel: answers go through personal links, so no password."""

    display_name = text_field(_l("Your name"), 120, required=True)


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
