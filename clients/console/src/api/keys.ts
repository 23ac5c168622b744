/** The keys of the REST data the console caches (src/app/queryClient.ts): a mutation invalidates by them. A key is a
 * prefix of the keys under it (invalidating `sites` invalidates each site's settings too). */
export const keys = {
  canned: ["canned"],
  materials: ["materials"],
  queues: ["queues"],
  presence: ["presence"],
  team: ["team"],
  operatorChoices: ["presence", "choices"],
  queueChoices: ["queues", "choices"],
  sites: ["sites"],
  siteDetails: ["sites", "details"],
  tracking: (siteId: string) => ["sites", siteId, "tracking"],
  sneakPeek: (siteId: string) => ["sites", siteId, "sneak-peek"],
  rules: (siteId: string) => ["rules", siteId],
  ruleStats: (siteId: string) => ["rules", siteId, "stats"],
  segments: ["segments"],
  tickets: (state?: string) => (state ? ["tickets", state] : ["tickets"]),
  history: (search: object) => ["history", search],
  transcript: (conversationId: string) => ["transcript", conversationId],
  contactCard: (conversationId: string) => ["contact-card", conversationId],
  rating: (conversationId: string) => ["rating", conversationId],
  visitor: (visitorId: string) => ["visitor", visitorId],
} as const;
