/** German B2B wholesale vocabulary (fasteners, tools, safety, fittings) for generated articles. */
export interface ProductType {
  /** Singular noun as used in article names. */
  noun: string;
  /** Article number prefix, e.g. SW for Sechskantschraube (SW-M8X40-A2). */
  code: string;
  group: number;
  /** Whether the type has a metric thread (M3..M24) and a length. */
  threaded: boolean;
  norm?: string;
}

export const GROUPS = ["Befestigungstechnik", "Handwerkzeuge", "Elektrowerkzeuge", "Arbeitsschutz", "Baubeschläge", "Chemisch-technische Produkte"] as const;

export const PRODUCT_TYPES: readonly ProductType[] = [
  { noun: "Sechskantschraube", code: "SW", group: 0, threaded: true, norm: "DIN 933" },
  { noun: "Zylinderschraube", code: "ZS", group: 0, threaded: true, norm: "DIN 912" },
  { noun: "Senkkopfschraube", code: "SK", group: 0, threaded: true, norm: "DIN 7991" },
  { noun: "Linsenkopfschraube", code: "LK", group: 0, threaded: true, norm: "ISO 7380" },
  { noun: "Gewindestange", code: "GS", group: 0, threaded: true, norm: "DIN 976" },
  { noun: "Sechskantmutter", code: "SM", group: 0, threaded: true, norm: "DIN 934" },
  { noun: "Hutmutter", code: "HM", group: 0, threaded: true, norm: "DIN 1587" },
  { noun: "Flügelmutter", code: "FM", group: 0, threaded: true, norm: "DIN 315" },
  { noun: "Unterlegscheibe", code: "US", group: 0, threaded: true, norm: "DIN 125" },
  { noun: "Spanplattenschraube", code: "SP", group: 0, threaded: false },
  { noun: "Holzschraube", code: "HS", group: 0, threaded: false, norm: "DIN 571" },
  { noun: "Dübel", code: "DU", group: 0, threaded: false },
  { noun: "Blindniete", code: "BN", group: 0, threaded: false, norm: "ISO 15977" },
  { noun: "Spiralbohrer", code: "SB", group: 1, threaded: false, norm: "DIN 338" },
  { noun: "Steinbohrer", code: "ST", group: 1, threaded: false },
  { noun: "Schraubendreher", code: "SD", group: 1, threaded: false },
  { noun: "Maulschlüssel", code: "MS", group: 1, threaded: false, norm: "DIN 3110" },
  { noun: "Ringschlüssel", code: "RS", group: 1, threaded: false },
  { noun: "Kombizange", code: "KZ", group: 1, threaded: false },
  { noun: "Schlosserhammer", code: "SH", group: 1, threaded: false },
  { noun: "Akkuschrauber", code: "AS", group: 2, threaded: false },
  { noun: "Winkelschleifer", code: "WS", group: 2, threaded: false },
  { noun: "Bohrhammer", code: "BH", group: 2, threaded: false },
  { noun: "Trennscheibe", code: "TS", group: 2, threaded: false },
  { noun: "Arbeitshandschuh", code: "AH", group: 3, threaded: false, norm: "EN 388" },
  { noun: "Schutzbrille", code: "SBR", group: 3, threaded: false, norm: "EN 166" },
  { noun: "Gehörschutz", code: "GH", group: 3, threaded: false, norm: "EN 352" },
  { noun: "Sicherheitsschuh", code: "SS", group: 3, threaded: false, norm: "EN ISO 20345" },
  { noun: "Scharnier", code: "SC", group: 4, threaded: false },
  { noun: "Türdrücker", code: "TD", group: 4, threaded: false },
  { noun: "Möbelgriff", code: "MG", group: 4, threaded: false },
  { noun: "Rohrschelle", code: "RO", group: 4, threaded: true },
  { noun: "Montagekleber", code: "MK", group: 5, threaded: false },
  { noun: "Silikon", code: "SI", group: 5, threaded: false },
  { noun: "Schraubensicherung", code: "SSI", group: 5, threaded: false },
  { noun: "Bremsenreiniger", code: "BR", group: 5, threaded: false },
];

export const MATERIALS = [
  { name: "Stahl verzinkt", code: "VZ" },
  { name: "Edelstahl A2", code: "A2" },
  { name: "Edelstahl A4", code: "A4" },
  { name: "Messing", code: "MS" },
  { name: "Aluminium", code: "AL" },
  { name: "Stahl schwarz", code: "SW" },
  { name: "Kunststoff", code: "KU" },
] as const;

export const BRANDS = [
  "Würth", "fischer", "Bosch", "Makita", "Hilti", "Knipex", "Wera", "Wiha", "Gedore", "Hazet", "Stabila", "3M", "tesa", "uvex",
  "SPAX", "HECO", "Berner", "Förch", "Reca", "Metabo", "Festool", "Milwaukee", "DeWalt", "Rothenberger", "ABUS", "Hettich",
  "Häfele", "Simonswerk", "Pferd", "Klingspor", "PFERD", "Loctite", "Sika", "Ottoseal", "Lorenz Präzision", "Müller & Söhne",
] as const;

export const THREADS = ["M3", "M4", "M5", "M6", "M8", "M10", "M12", "M14", "M16", "M20", "M24"] as const;
export const LENGTHS = [6, 8, 10, 12, 16, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 100, 120, 150, 200] as const;
export const SURFACES = ["blank", "galvanisch verzinkt", "feuerverzinkt", "brüniert", "vernickelt", "Zinklamelle"] as const;
export const STRENGTHS = ["4.6", "5.6", "8.8", "10.9", "12.9", "A2-70", "A4-80"] as const;
export const DRIVES = ["Innensechskant", "Torx", "Kreuzschlitz PH", "Kreuzschlitz PZ", "Schlitz", "Außensechskant"] as const;
export const COLORS = ["silber", "schwarz", "gelb", "rot", "blau", "grün", "orange", "grau", "weiß"] as const;
export const COUNTRIES = ["DE", "AT", "CH", "IT", "CN", "TW", "PL", "CZ", "US", "JP"] as const;
export const ADJECTIVES = ["robuste", "langlebige", "korrosionsbeständige", "präzise gefertigte", "geprüfte", "hochfeste", "vielseitige"] as const;
export const USES = ["Maschinenbau", "Stahlbau", "Holzbau", "Sanitär", "Elektroinstallation", "Fahrzeugbau", "Möbelbau", "Montage"] as const;
export const COMPANY_WORDS = ["Bau", "Metall", "Technik", "Holz", "Haustechnik", "Montage", "Industrie", "Elektro", "Sanitär", "Stahlbau"] as const;
export const COMPANY_NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann"] as const;
export const LEGAL_FORMS = ["GmbH", "GmbH & Co. KG", "KG", "AG", "e.K.", "OHG"] as const;

export const WAREHOUSES = [
  { id: "W01", name: "Zentrallager Kassel" },
  { id: "W02", name: "Niederlassung Hamburg" },
  { id: "W03", name: "Niederlassung München" },
] as const;

/** Attribute keys every generated article carries besides its type-specific ones (20 in all). */
export const ATTRIBUTE_UNITS: Record<string, string | undefined> = {
  Länge: "mm",
  Durchmesser: "mm",
  Schlüsselweite: "mm",
  Gewicht: "g",
  Verpackungseinheit: "Stk",
  Temperaturbereich: "°C",
  Zugfestigkeit: "N/mm²",
};
