/**
 * Proportions of the generated face, millimetres, from published adult anthropometric norms
 * (L. G. Farkas, "Anthropometry of the Head and Face", 2nd ed., 1994; means of adult men and
 * women rounded) — not from any 3DMM. Frontal layout: x to the subject's left, y up, the
 * midline at x = 0; heights before the final re-centring (nasion at 36).
 */
export const FACE = Object.freeze({
  /** Trichion (hairline), the top of the mesh at the midline. n–tr ≈ 60. */
  trichionY: 98,
  /** Glabella (brow midpoint). */
  glabellaY: 46,
  /** Nasion: the top of the nose height. */
  nasionY: 36,
  /** Eye level: endocanthion / exocanthion heights. */
  endocanthionY: 30,
  exocanthionY: 32,
  /** Intercanthal width en–en ≈ 33 → ±16.5. */
  endocanthionX: 16.5,
  /** Biocular width ex–ex ≈ 90 → ±45 (eye fissure length ≈ 28.5). */
  exocanthionX: 45,
  /** Palpebral fissure height ≈ 10. */
  fissureHeight: 10,
  /** Pronasale (nose tip) height: n–prn ≈ 41. */
  pronasaleY: -5,
  /** Subnasale: nose height n–sn ≈ 53. */
  subnasaleY: -17,
  /** Nasal tip protrusion sn–prn ≈ 20 (depth). */
  tipProtrusion: 20,
  /** Nose width al–al ≈ 34 → ±17. */
  alareX: 17,
  /** Stomion: upper lip height sn–sto ≈ 22. */
  stomionY: -39,
  /** Mouth width ch–ch ≈ 52 → ±26. */
  cheilionX: 26,
  /** Labrale superius / inferius: vermilion heights ≈ 8 and 10. */
  labraleSuperiusY: -31,
  labraleInferiusY: -49,
  /** Gnathion/menton: lower face height sn–gn ≈ 72. */
  gnathionY: -89,
  /** Face width zy–zy ≈ 138 → half 69 (at the cheekbones, y ≈ 20). */
  zygionX: 69,
  /** Mandible width go–go ≈ 102 → ±51 (gonion at y ≈ −55). */
  gonionX: 51,
  gonionY: -55,
  /** Eyebrow: its midpoint ≈ 17 above the eye, length ≈ 50. */
  browY: 49,
} as const);
