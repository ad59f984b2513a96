// Every text of the dashboard's interface, in Dutch (the default) and English, and the
// number formats of both languages (Dutch: 41,0% and 2.460; English: 41.0% and 2,460).
// Indicator labels and descriptions come from the API (?lang=), not from here.

export const LANGUAGES = ["nl", "en"];
export const DEFAULT_LANGUAGE = "nl";

const TEXTS = {
  nl: {
    language_name: "Nederlands",
    locale: "nl-NL",
    doc_title: "Resultaten – Medewerkersmonitor agressie en geweld",
    skip_link: "Naar de inhoud",
    site_title: "Medewerkersmonitor: agressie en geweld tegen medewerkers",
    header_nav: "Taal",
    heading: "Resultaten van de monitor",
    intro:
      "Hoe vaak krijgen medewerkers van de politie en het Openbaar Ministerie in hun werk te maken met agressie en geweld, en wat zijn de gevolgen? Hier staan de uitkomsten van alle afgesloten metingen. De cijfers zijn schattingen voor alle medewerkers, niet alleen voor wie de vragenlijst invulde.",
    controls: "Kies wat u wilt zien",
    indicator: "Onderwerp",
    breakdown: "Uitsplitsen naar",
    trend_for: "Ontwikkeling voor",
    by_organisation: "Organisatie",
    by_unit: "Eenheid of parket",
    by_function_group: "Functiegroep",
    per_organisation: "per organisatie",
    per_unit: "per eenheid of parket",
    per_function_group: "per functiegroep",
    per_answer: "naar {name}",
    all_staff: "Alle medewerkers",
    among_all: "Onder alle medewerkers",
    among_threatened: "Onder bedreigde medewerkers",
    among_victims: "Onder medewerkers die agressie of geweld meemaakten",
    kind_proportion: "Percentage",
    kind_mean: "Gemiddelde",
    trend_heading: "Ontwikkeling over de metingen",
    trend_caption: "{label} – {group}, per meting",
    family_heading: "Verdeling over de metingen: {group}",
    family_cell: "{value} ({interval})",
    latest_heading: "Uitgesplitst {per}, meting {wave}",
    latest_caption: "{label} – {per}, meting {wave}",
    chart_hint:
      "Grafiek. Ga met de pijltjestoetsen langs de cijfers. Dezelfde cijfers staan in de tabel bij deze grafiek.",
    table_toggle: "Tabel bij deze grafiek",
    col_wave: "Meting",
    col_group: "Groep",
    col_interval: "95%-betrouwbaarheidsinterval",
    col_n: "Aantal antwoorden (n)",
    col_rate: "Respons",
    col_change: "Verschil met eerdere meting",
    too_few: "te weinig respons",
    hidden_min_cell: "te weinig respons",
    hidden_complementary: "verborgen ter bescherming",
    hidden_coverage: "deel van de groep zonder respons",
    hidden_no_interval: "geen marge te berekenen",
    none: "–",
    n_is: "n = {n}",
    rate_is: "respons {rate}",
    interval_is: "95%-interval {low} tot {high}",
    change_is: "{diff} t.o.v. {wave}",
    significant: "significant",
    not_significant: "niet significant",
    sig_up: "significant hoger dan in {wave}",
    sig_down: "significant lager dan in {wave}",
    not_comparable: "niet vergelijkbaar (trendbreuk)",
    points: "procentpunt",
    legend_line: "Geschatte waarde",
    legend_band: "95%-betrouwbaarheidsinterval",
    legend_bar: "Geschatte waarde",
    legend_whisker: "95%-betrouwbaarheidsinterval",
    legend_sig: "significant verschil t.o.v. vorige meting, p < 0,05 (▲ hoger, ▼ lager)",
    legend_break: "trendbreuk: cijfers voor en na zijn niet te vergelijken",
    legend_suppressed: "te weinig respons: het cijfer wordt niet getoond",
    legend_min_cell: "te weinig respons: het cijfer wordt niet getoond",
    legend_complementary:
      "verborgen ter bescherming: anders is een verborgen cijfer uit de andere terug te rekenen",
    legend_coverage:
      "deel van de groep zonder respons: niemand antwoordde voor een deel van de medewerkers, dus geen cijfer voor de hele groep",
    legend_no_interval:
      "geen marge te berekenen: de antwoorden zijn te verspreid over de groepen om de onzekerheid te schatten",
    break_label: "trendbreuk",
    break_note: "Trendbreuk in {wave}.",
    total_row: "Alle medewerkers",
    loading: "De cijfers worden geladen…",
    updated: "Bijgewerkt: {label}, {per}.",
    error_title: "De cijfers konden niet worden geladen",
    error_text:
      "De server met de cijfers is nu niet bereikbaar of gaf een fout. Probeer het over een paar minuten opnieuw.",
    error_detail: "Technische melding: {detail}",
    retry: "Opnieuw proberen",
    no_indicators: "Er zijn nog geen cijfers gepubliceerd.",
    no_waves: "Voor dit onderwerp zijn nog geen afgesloten metingen.",
    json_link: "Deze cijfers als JSON (open data)",
    wave_picker: "Meting",
    sort: "Volgorde van de groepen",
    sort_name: "Op naam",
    sort_value: "Op waarde, hoogste eerst",
    last_updated:
      "Laatst bijgewerkt: {date}. Dat is de sluitingsdatum van de nieuwste meting in deze cijfers ({wave}).",
    download_intro: "De cijfers op deze pagina downloaden:",
    download_csv: "CSV (voor Excel)",
    download_xlsx: "Excel (.xlsx)",
    file_name: "monitor",
    col_part: "Onderdeel",
    col_code: "Groepscode",
    col_low: "Ondergrens 95%-interval",
    col_high: "Bovengrens 95%-interval",
    col_rate_percent: "Respons (%)",
    col_suppressed: "Verborgen",
    col_reason: "Waarom verborgen",
    col_vs_wave: "Vergeleken met meting",
    col_difference: "Verschil",
    col_significant: "Significant",
    col_break: "Trendbreuk",
    part_trend: "Ontwikkeling",
    part_breakdown: "Uitsplitsing",
    yes: "ja",
    no: "nee",
    source:
      "Bron: Medewerkersmonitor agressie en geweld. Alle cijfers komen uit de openbare API van de monitor.",
    noscript:
      "Dit dashboard heeft JavaScript nodig om de cijfers op te halen. De cijfers staan ook in de openbare API:",
    method_heading: "Zo komen de cijfers tot stand",
    method: [
      [
        "Weging",
        "Niet iedereen vult de vragenlijst in, en in sommige groepen antwoorden meer mensen dan in andere. Daarom telt elk antwoord mee voor het aantal collega’s in dezelfde organisatie, eenheid en functiegroep. Wie in een groep van 100 medewerkers zit, waarvan er 25 antwoordden, telt voor 4. Zo zijn de cijfers schattingen voor alle medewerkers.",
      ],
      [
        "Onzekerheid",
        "Omdat niet iedereen antwoordt, heeft elk cijfer een marge. De band rond de lijn en de streep bij elke staaf tonen het 95%-betrouwbaarheidsinterval: de werkelijke waarde ligt vrijwel zeker binnen die marge. Hoe minder antwoorden, hoe breder de marge. Bij groepen met minder dan 200 antwoorden is de marge afgerond op tientallen procenten (bijvoorbeeld 10% tot 30%), zodat niemand uit de cijfers kan afleiden wat een kleine groep collega's heeft geantwoord.",
      ],
      [
        "Veranderingen",
        "We vergelijken elk cijfer met de vorige meting. Is het verschil zo groot dat het vrijwel zeker niet door toeval komt (p < 0,05), dan heet het significant en staat er ▲ (hoger) of ▼ (lager) bij. Een verschil zonder teken kan toeval zijn. Ligt een cijfer dicht bij 0% of 100%, dan nemen we de marges van beide metingen zelf als maat, zodat een verschil nooit zekerder lijkt dan de metingen.",
      ],
      [
        "Trendbreuken",
        "Soms verandert een vraag. Cijfers van voor en na die verandering zijn dan niet te vergelijken. De lijn is daar onderbroken, en we vergelijken niet over de breuk heen. Keert een latere meting terug naar de oude vraag, dan is dat opnieuw een breuk, en vergelijken we met de laatste meting met dezelfde vraag.",
      ],
      [
        "Te weinig respons",
        "Een cijfer dat op te weinig antwoorden berust, tonen we niet: daar staat ‘te weinig respons’. Soms verbergen we ook het cijfer van een andere groep, zodat niemand een verborgen cijfer kan terugrekenen (‘verborgen ter bescherming’). Zo blijft anoniem wie wat antwoordde. Antwoordde niemand uit een deel van een groep (een hele organisatie), dan geven we geen cijfer voor de hele groep (‘deel van de groep zonder respons’): het zou stilzwijgend alleen over de rest gaan. En is de onzekerheid van een cijfer niet te schatten, dan tonen we het ook niet (‘geen marge te berekenen’).",
      ],
      [
        "Respons",
        "Bij elk cijfer staat op hoeveel antwoorden het berust (n) en welk deel van de medewerkers de vragenlijst invulde (respons).",
      ],
    ],
  },
  en: {
    language_name: "English",
    locale: "en-GB",
    doc_title: "Results – Staff monitor of aggression and violence",
    skip_link: "Skip to content",
    site_title: "Staff monitor: aggression and violence against staff",
    header_nav: "Language",
    heading: "Results of the monitor",
    intro:
      "How often do staff of the police and the Public Prosecution Service (OM) face aggression and violence in their work, and what are the consequences? These are the results of every completed survey. The figures are estimates for all staff, not only for those who answered.",
    controls: "Choose what to show",
    indicator: "Topic",
    breakdown: "Break down by",
    trend_for: "Trend for",
    by_organisation: "Organisation",
    by_unit: "Unit or prosecutor's office",
    by_function_group: "Job group",
    per_organisation: "by organisation",
    per_unit: "by unit or prosecutor's office",
    per_function_group: "by job group",
    per_answer: "by {name}",
    all_staff: "All staff",
    among_all: "Among all staff",
    among_threatened: "Among threatened staff",
    among_victims: "Among staff who experienced aggression or violence",
    kind_proportion: "Percentage",
    kind_mean: "Mean",
    trend_heading: "Trend over the surveys",
    trend_caption: "{label} – {group}, per survey",
    family_heading: "Distribution over the surveys: {group}",
    family_cell: "{value} ({interval})",
    latest_heading: "Broken down {per}, {wave} survey",
    latest_caption: "{label} – {per}, {wave} survey",
    chart_hint:
      "Chart. Use the arrow keys to go through the figures. The same figures are in the table for this chart.",
    table_toggle: "Table for this chart",
    col_wave: "Survey",
    col_group: "Group",
    col_interval: "95% confidence interval",
    col_n: "Responses (n)",
    col_rate: "Response rate",
    col_change: "Change since an earlier survey",
    too_few: "too few responses",
    hidden_min_cell: "too few responses",
    hidden_complementary: "hidden for protection",
    hidden_coverage: "part of group without responses",
    hidden_no_interval: "no margin computable",
    none: "–",
    n_is: "n = {n}",
    rate_is: "response rate {rate}",
    interval_is: "95% interval {low} to {high}",
    change_is: "{diff} since {wave}",
    significant: "significant",
    not_significant: "not significant",
    sig_up: "significantly higher than in {wave}",
    sig_down: "significantly lower than in {wave}",
    not_comparable: "not comparable (series break)",
    points: "percentage points",
    legend_line: "Estimate",
    legend_band: "95% confidence interval",
    legend_bar: "Estimate",
    legend_whisker: "95% confidence interval",
    legend_sig: "significant change since the previous survey, p < 0.05 (▲ higher, ▼ lower)",
    legend_break: "series break: figures before and after cannot be compared",
    legend_suppressed: "too few responses: the figure is not shown",
    legend_min_cell: "too few responses: the figure is not shown",
    legend_complementary: "hidden for protection: otherwise a hidden figure could be worked out from the others",
    legend_coverage:
      "part of group without responses: nobody answered for some of its staff, so there is no figure for the whole group",
    legend_no_interval:
      "no margin computable: the answers are spread too thinly over the groups to estimate the uncertainty",
    break_label: "series break",
    break_note: "Series break in {wave}.",
    total_row: "All staff",
    loading: "Loading the figures…",
    updated: "Updated: {label}, {per}.",
    error_title: "The figures could not be loaded",
    error_text:
      "The server with the figures cannot be reached right now, or it returned an error. Please try again in a few minutes.",
    error_detail: "Technical message: {detail}",
    retry: "Try again",
    no_indicators: "No figures have been published yet.",
    no_waves: "There are no completed surveys for this topic yet.",
    json_link: "These figures as JSON (open data)",
    wave_picker: "Survey",
    sort: "Order of the groups",
    sort_name: "By name",
    sort_value: "By value, highest first",
    last_updated: "Last updated: {date}. That is the closing date of the latest survey in these figures ({wave}).",
    download_intro: "Download the figures on this page:",
    download_csv: "CSV",
    download_xlsx: "Excel (.xlsx)",
    file_name: "monitor",
    col_part: "Part",
    col_code: "Group code",
    col_low: "Lower limit of 95% interval",
    col_high: "Upper limit of 95% interval",
    col_rate_percent: "Response rate (%)",
    col_suppressed: "Hidden",
    col_reason: "Why hidden",
    col_vs_wave: "Compared with survey",
    col_difference: "Difference",
    col_significant: "Significant",
    col_break: "Series break",
    part_trend: "Trend",
    part_breakdown: "Breakdown",
    yes: "yes",
    no: "no",
    source:
      "Source: Staff monitor of aggression and violence. Every figure comes from the monitor's public API.",
    noscript:
      "This dashboard needs JavaScript to fetch the figures. The figures are also in the public API:",
    method_heading: "How the figures are made",
    method: [
      [
        "Weighting",
        "Not everyone answers the survey, and some groups answer more often than others. So every answer counts for the number of colleagues in the same organisation, unit and job group. Someone in a group of 100 staff of whom 25 answered counts for 4. That makes the figures estimates for all staff.",
      ],
      [
        "Uncertainty",
        "Because not everyone answers, every figure has a margin. The band around the line and the whisker on each bar show the 95% confidence interval: the true value almost certainly lies within it. The fewer the answers, the wider the margin. For groups of fewer than 200 answers the margin is rounded to tens of percent (for example 10% to 30%), so that no one can work out from the figures what a small group of colleagues answered.",
      ],
      [
        "Changes",
        "Each figure is compared with the previous survey. When the difference is so large that it is almost certainly not chance (p < 0.05), it is called significant and marked ▲ (higher) or ▼ (lower). A difference without a mark may be chance. Near 0% or 100% the margins of both surveys themselves are the measure, so a difference never looks surer than the surveys do.",
      ],
      [
        "Series breaks",
        "Sometimes a question changes. Figures from before and after the change cannot be compared then. The line stops there, and no comparison is made across the break. A later survey that returns to the old question breaks the line again, and is compared with the latest survey that asked the same question.",
      ],
      [
        "Too few responses",
        "A figure based on too few answers is not shown: it reads ‘too few responses’. Sometimes the figure of another group is hidden as well, so that no one can work out a hidden figure from the others (‘hidden for protection’). That keeps who answered what anonymous. When nobody answered from part of a group (a whole organisation), there is no figure for the whole group (‘part of group without responses’): it would silently be about the rest only. And a figure whose uncertainty cannot be estimated is not shown either (‘no margin computable’).",
      ],
      [
        "Response",
        "Every figure says how many answers it rests on (n) and what share of the staff answered the survey (response rate).",
      ],
    ],
  },
};

export function language(value) {
  return LANGUAGES.includes(value) ? value : DEFAULT_LANGUAGE;
}

export function otherLanguage(lang) {
  return lang === "nl" ? "en" : "nl";
}

export function texts(lang) {
  return TEXTS[language(lang)];
}

/** A text with its {placeholders} filled in. */
export function fill(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
}

/** Number formats for one language and one kind of indicator (proportion or mean). */
export class Format {
  constructor(lang, kind = "proportion") {
    const t = texts(lang);
    this.t = t;
    this.kind = kind;
    this.percent = new Intl.NumberFormat(t.locale, {
      style: "percent",
      minimumFractionDigits: 1,
      maximumFractionDigits: 1,
    });
    this.wholePercent = new Intl.NumberFormat(t.locale, { style: "percent", maximumFractionDigits: 0 });
    this.decimal = new Intl.NumberFormat(t.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    this.signed = new Intl.NumberFormat(t.locale, {
      minimumFractionDigits: 1,
      maximumFractionDigits: 1,
      signDisplay: "exceptZero",
    });
    this.integer = new Intl.NumberFormat(t.locale, { maximumFractionDigits: 0 });
    this.tick = new Intl.NumberFormat(t.locale, { maximumFractionDigits: 2 });
  }

  /** An estimate or interval bound: 41,0% (or 3,2 for a mean). */
  value(x) {
    if (x === null || x === undefined) return this.t.none;
    return this.kind === "mean" ? this.decimal.format(x) : this.percent.format(x);
  }

  /** An axis label: 40% (or 2,5 for a mean). */
  axis(x) {
    return this.kind === "mean" ? this.tick.format(x) : this.wholePercent.format(x);
  }

  interval(low, high) {
    if (low === null || high === null || low === undefined || high === undefined) return this.t.none;
    const sep = "\u2013";
    if (this.kind === "mean") return `${this.decimal.format(low)}${sep}${this.decimal.format(high)}`;
    // 38,2–42,0% (one percent sign, as in print).
    return `${this.decimal.format(low * 100)}${sep}${this.percent.format(high)}`;
  }

  intervalWords(low, high) {
    return fill(this.t.interval_is, { low: this.value(low), high: this.value(high) });
  }

  count(n) {
    return n === null || n === undefined ? this.t.none : this.integer.format(n);
  }

  rate(r) {
    return r === null || r === undefined ? this.t.none : this.percent.format(r);
  }

  /** A difference: +1,4 procentpunt (or +0,3 for a mean). */
  difference(d) {
    if (this.kind === "mean") return this.signed.format(d);
    return `${this.signed.format(d * 100)} ${this.t.points}`;
  }
}
