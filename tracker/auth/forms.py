"""Account forms: shape checks only; the rules live in auth.services."""

from __future__ import annotations

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


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters. A sentence you remember is a good choice."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password, again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


class EditProfileForm(FlaskForm):
    display_name = text_field(_l("Name"), 120, required=True)
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)


class AcceptInvitationForm(FlaskForm):
    display_name = text_field(_l("Your name"), 120, required=True)
    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(), Length(max=256)],
        description=_l("At least 12 characters. A sentence you remember is a good choice."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password, again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
