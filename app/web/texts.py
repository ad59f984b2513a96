"""The interface texts of the survey pages, in Dutch and English.

Everything a respondent reads about the survey itself (titles, questions, options,
help, thanks, support) comes from the questionnaire definition; this dictionary holds
only the words around it: buttons, headings, errors (how to answer a kind of question,
and its own errors, are words of the kind: app.questionnaires.kinds). Dutch as a Dutch
government site writes it (u-form, short sentences).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from app.problems import Code, FieldError
from app.questionnaires.schema import DEFAULT_LANGUAGE, LANGUAGES, Question

TEXTS: Final[dict[str, dict[str, str]]] = {
    "nl": {
        "language_name": "Nederlands",
        "skip_link": "Ga direct naar de inhoud",
        "quick_exit": "Snel weg",
        "header_nav": "Taal en snel weg",
        "default_title": "Vragenlijst",
        "error_prefix": "Fout:",
        "error_summary_title": "Er is een probleem",
        # start page
        "code_label": "Uw toegangscode",
        "code_hint": "U vindt de code in uw uitnodiging. Hoofdletters, spaties en streepjes "
        "maken niet uit.",
        "resume_hint": "Bent u al eerder begonnen? Vul dan dezelfde code in.",
        "resume_key_label": "Uw herstelsleutel (alleen als u antwoorden heeft bewaard)",
        "resume_key_hint": "Die kreeg u toen u op ‘Opslaan en later verder’ klikte. Met uw "
        "code en deze sleutel gaat u verder waar u was gebleven. Zonder sleutel begint u "
        "opnieuw; uw code blijft geldig.",
        "resume_key_refused": "Met deze code en deze herstelsleutel zijn geen antwoorden "
        "bewaard. Controleer de sleutel, of laat dit veld leeg om opnieuw te beginnen.",
        "wave_legend": "Welke vragenlijst wilt u invullen?",
        "start": "Start",
        "no_wave_title": "Er is nu geen vragenlijst open",
        "no_wave_text": "U kunt de vragenlijst alleen invullen in de periode die in uw "
        "uitnodiging staat.",
        "session_ended": "Vul uw toegangscode opnieuw in om verder te gaan. De antwoorden die "
        "u al had gegeven, zijn bewaard. Heeft u de vragenlijst al verzonden? Dan zijn uw "
        "antwoorden aangekomen en hoeft u niets meer te doen.",
        "quick_exit_title": "Snel weg",
        "quick_exit_text": "Met de knop ‘Snel weg’ bovenaan elke pagina verlaat u deze "
        "website meteen. U gaat dan naar een andere website.",
        "shared_computer_text": "Gebruikt u een computer die u met anderen deelt? Open de "
        "vragenlijst dan in een privévenster. Dan onthoudt de browser niet welke pagina's "
        "u heeft bekeken.",
        "code_missing": "Vul uw toegangscode in",
        "code_refused": "Deze code kunt u niet gebruiken. Controleer of u de code goed heeft "
        "overgenomen uit uw uitnodiging. Een code werkt maar één keer: heeft u de vragenlijst "
        "met deze code al verzonden, dan zijn uw antwoorden aangekomen.",
        "code_too_many": "Er is te vaak een code ingevuld die niet klopt. Probeer het over "
        "enkele minuten opnieuw.",
        "wave_missing": "Kies een vragenlijst",
        # start with the intranet sign-in (token.js)
        "token_title": "Of: start met uw politieaccount",
        "token_explain": "Dan heeft u geen code nodig. Uw pagina vraagt met uw account één "
        "toegangsbewijs aan voor deze vragenlijst. Dat bewijs maakt uw eigen computer, en "
        "het wordt ondertekend zonder dat de server het te zien krijgt (een blinde "
        "handtekening). Daardoor kan niemand, ook de beheerders van de vragenlijst niet, "
        "uw antwoorden aan uw account koppelen. De server onthoudt alleen dát u een bewijs "
        "heeft gekregen, zodat iedereen één keer antwoordt.",
        "token_start": "Start met mijn politieaccount",
        "token_busy": "Uw toegangsbewijs wordt opgehaald…",
        "token_ready": "Uw toegangsbewijs is klaar. Het blijft in deze browser tot u de "
        "vragenlijst verzendt.",
        "token_failed": "Het lukt nu niet om met uw account te starten. Gebruik de code uit "
        "uw uitnodiging, of probeer het later opnieuw.",
        "token_had": "U heeft voor deze vragenlijst al een toegangsbewijs gekregen, in een "
        "andere browser of eerder in deze. Ga verder in die browser, of gebruik de code uit "
        "uw uitnodiging.",
        "token_refused": "Uw toegangsbewijs kunt u niet meer gebruiken: met dit bewijs is "
        "de vragenlijst al verzonden, of de vragenlijst is niet meer dezelfde. Gebruik de "
        "code uit uw uitnodiging.",
        "wave_closed": "Deze vragenlijst is gesloten. U kunt geen antwoorden meer geven.",
        # module pages
        "progress": "Onderdeel {number} van {total}",
        "optional": "(niet verplicht)",
        "added_title": "Er zijn vragen bijgekomen",
        "added_text": "Door uw antwoorden zijn er vragen op deze pagina bijgekomen. Wilt u "
        "ook deze vragen beantwoorden?",
        "next": "Volgende",
        "back": "Vorige",
        "save_and_leave": "Opslaan en later verder",
        # review
        "review_title": "Controleer uw antwoorden",
        "review_intro": "Klopt alles? Verzend dan uw antwoorden. Daarna kunt u ze niet meer "
        "wijzigen.",
        "not_answered": "Niet beantwoord",
        "change": "Wijzigen",
        "change_hidden": "het antwoord op de vraag: {question}",
        "submit": "Verzenden",
        "support_title": "Hulp en steun",
        # saved, thanks
        "saved_title": "Uw antwoorden zijn bewaard",
        "saved_text": "U kunt later verder met dezelfde toegangscode en de herstelsleutel "
        "hieronder. U gaat dan verder waar u was gebleven.",
        "saved_key_label": "Uw herstelsleutel",
        "saved_key_text": "Schrijf deze sleutel op of kopieer hem nu: u ziet hem maar één "
        "keer. Uw antwoorden zijn versleuteld met uw code én deze sleutel. Niemand anders kan "
        "ze lezen, ook de beheerders van het onderzoek niet. Bent u de sleutel kwijt, dan "
        "begint u opnieuw; uw code blijft geldig.",
        "saved_until": "Dat kan tot en met {date}.",
        "saved_code_text": "Bewaar ook uw code goed. Zonder code kunt u niet verder.",
        "saved_token_text": "Uw toegangsbewijs blijft in deze browser. Kom terug in dezelfde "
        "browser, vul de herstelsleutel in en kies ‘Start met mijn politieaccount’.",
        "continue_link": "Verder met de vragenlijst",
        "thanks_title": "Bedankt voor het invullen",
        "thanks_sent": "Uw antwoorden zijn verzonden.",
        "thanks_default": "Uw antwoorden worden samengevoegd met die van anderen. We gebruiken "
        "ze alleen voor cijfers over groepen. Niemand kan zien welke antwoorden van u zijn.",
        "thanks_close": "U kunt dit venster nu sluiten.",
        "arrived_title": "Uw antwoorden zijn aangekomen",
        "arrived_text": "U heeft de vragenlijst verzonden. Er is niets meer te doen.",
        "arrived_code": "Uw code is nu gebruikt. Daarom kunt u er niet opnieuw mee beginnen.",
        # validation (codes of app.responses.validation)
        "invalid_option": "Kies een van de antwoorden die hier staan",
        "unknown_cell": "Deze combinatie van organisatie, onderdeel en functiegroep komt in "
        "dit onderzoek niet voor. Controleer deze antwoorden.",
        "invalid_answer": "Controleer dit antwoord",
        # the questionnaire in the page (JavaScript on)
        "send_failed": "Dat is niet gelukt: er is geen verbinding met de server. Uw "
        "antwoorden staan nog op deze pagina. Probeer het over een paar minuten opnieuw.",
    },
    "en": {
        "language_name": "English",
        "skip_link": "Skip to main content",
        "quick_exit": "Quick exit",
        "header_nav": "Language and quick exit",
        "default_title": "Questionnaire",
        "error_prefix": "Error:",
        "error_summary_title": "There is a problem",
        "code_label": "Your access code",
        "code_hint": "You can find the code in your invitation. Capitals, spaces and dashes do "
        "not matter.",
        "resume_hint": "Have you started before? Enter the same code.",
        "resume_key_label": "Your resume key (only if you saved answers)",
        "resume_key_hint": "You were given it when you chose ‘Save and continue later’. "
        "With your code and this key you continue where you left off. Without the key you "
        "start again; your code stays valid.",
        "resume_key_refused": "No answers are saved with this code and this resume key. "
        "Check the key, or leave this field empty to start again.",
        "wave_legend": "Which questionnaire would you like to fill in?",
        "start": "Start",
        "no_wave_title": "No questionnaire is open at the moment",
        "no_wave_text": "You can only fill in the questionnaire during the period stated in "
        "your invitation.",
        "session_ended": "Enter your access code again to continue. The answers you had "
        "already given have been saved. Have you already sent the questionnaire? Then your "
        "answers have arrived and there is nothing more to do.",
        "quick_exit_title": "Quick exit",
        "quick_exit_text": "The ‘Quick exit’ button at the top of every page takes you away "
        "from this website at once, to another website.",
        "shared_computer_text": "Are you using a computer you share with others? Then open "
        "the questionnaire in a private window, so that the browser does not remember which "
        "pages you have viewed.",
        "code_missing": "Enter your access code",
        "code_refused": "This code cannot be used. Check that you copied it correctly from "
        "your invitation. A code works only once: if you have already sent the questionnaire "
        "with this code, your answers have arrived.",
        "code_too_many": "Too many codes that do not fit have been entered. Try again in a "
        "few minutes.",
        "wave_missing": "Choose a questionnaire",
        # start with the intranet sign-in (token.js)
        "token_title": "Or: start with your police account",
        "token_explain": "Then you need no code. With your account, your page asks for one "
        "pass for this questionnaire. Your own computer makes the pass, and it is signed "
        "without the server seeing it (a blind signature). That is why nobody, not even "
        "the people who run the questionnaire, can link your answers to your account. The "
        "server only remembers that you have had a pass, so that everyone answers once.",
        "token_start": "Start with my police account",
        "token_busy": "Getting your pass…",
        "token_ready": "Your pass is ready. It stays in this browser until you send the "
        "questionnaire.",
        "token_failed": "Starting with your account does not work right now. Use the code "
        "from your invitation, or try again later.",
        "token_had": "You have already had a pass for this questionnaire, in another browser "
        "or earlier in this one. Continue in that browser, or use the code from your "
        "invitation.",
        "token_refused": "Your pass can no longer be used: the questionnaire has already been "
        "sent with it, or the questionnaire has changed. Use the code from your invitation.",
        "wave_closed": "This questionnaire has closed. You can no longer give answers.",
        "progress": "Part {number} of {total}",
        "optional": "(optional)",
        "added_title": "Questions have been added",
        "added_text": "Your answers have added questions to this page. Would you please answer "
        "these as well?",
        "next": "Next",
        "back": "Back",
        "save_and_leave": "Save and continue later",
        "review_title": "Check your answers",
        "review_intro": "Is everything correct? Then send your answers. After that you cannot "
        "change them.",
        "not_answered": "Not answered",
        "change": "Change",
        "change_hidden": "the answer to the question: {question}",
        "submit": "Send",
        "support_title": "Help and support",
        "saved_title": "Your answers have been saved",
        "saved_text": "You can continue later with the same access code and the resume key "
        "below. You will continue where you left off.",
        "saved_key_label": "Your resume key",
        "saved_key_text": "Write this key down or copy it now: it is shown only once. Your "
        "answers are encrypted with your code and this key. Nobody else can read them, not "
        "even the survey's administrators. If you lose the key, you start again; your code "
        "stays valid.",
        "saved_until": "You can do so until {date} inclusive.",
        "saved_code_text": "Keep your code safe too. Without it you cannot continue.",
        "saved_token_text": "Your pass stays in this browser. Come back in the same browser, "
        "enter the resume key and choose ‘Start with my police account’.",
        "continue_link": "Continue with the questionnaire",
        "thanks_title": "Thank you for taking part",
        "thanks_sent": "Your answers have been sent.",
        "thanks_default": "Your answers are combined with those of others and used only for "
        "figures about groups. Nobody can see which answers are yours.",
        "thanks_close": "You can close this window now.",
        "arrived_title": "Your answers have arrived",
        "arrived_text": "You have sent the questionnaire. There is nothing more to do.",
        "arrived_code": "Your code has now been used, so you cannot start again with it.",
        "invalid_option": "Choose one of the answers shown",
        "unknown_cell": "This combination of organisation, unit and function group is not part "
        "of this survey. Please check these answers.",
        "invalid_answer": "Check this answer",
        "send_failed": "That did not work: there is no connection with the server. Your "
        "answers are still on this page. Please try again in a few minutes.",
    },
}

MONTHS: Final[dict[str, tuple[str, ...]]] = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def language(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def other_language(lang: str) -> str:
    return "en" if lang == "nl" else "nl"


def long_date(day: date, lang: str) -> str:
    """'30 juni 2026' / '30 June 2026'."""
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def error_message(error: FieldError, question: Question, lang: str, value: Any = None) -> str:
    """A FieldError from validate_answers in words a respondent understands: the words of
    the question's kind (app.questionnaires.kinds), else these; `value` is what the
    respondent gave (it names the exclusive option that was combined)."""
    own = question.error_text(error.code, lang, value)
    if own is not None:
        return own
    texts = TEXTS[lang]
    if error.code in (Code.INVALID_OPTION, Code.DUPLICATE_OPTION, Code.WRONG_TYPE):
        return texts["invalid_option"]
    if error.code == Code.UNKNOWN_CELL:
        return texts["unknown_cell"]
    return texts["invalid_answer"]
