-- Argo CD health of a Frontier (frontier.dev/v1alpha1), from status.phase and conditions.
-- Healthy: Ready, or a slice is published and the operator works on the next round.
-- Degraded: an invalid spec, a failure, or a Degraded=True condition.
-- Progressing: anything else, including a spec generation the operator has not seen yet.
local hs = {}
local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to pick up the Frontier"
  return hs
end
local conditions = {}
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    conditions[condition.type] = condition
  end
end
local function message_of(condition_type, fallback)
  local condition = conditions[condition_type]
  if condition ~= nil and condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  return fallback
end
local generation = obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end
if status.phase == "Invalid" then
  hs.status = "Degraded"
  hs.message = message_of("SpecValid", "The spec is invalid")
  return hs
end
if status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = message_of("Degraded", "The Frontier failed")
  return hs
end
if conditions["Degraded"] ~= nil and conditions["Degraded"].status == "True" then
  hs.status = "Degraded"
  hs.message = message_of("Degraded", "Degraded")
  return hs
end
if status.phase == "Ready" or (conditions["Ready"] ~= nil and conditions["Ready"].status == "True") then
  hs.status = "Healthy"
  hs.message = message_of("Ready", "Phase " .. status.phase)
  return hs
end
hs.status = "Progressing"
hs.message = message_of("Progressing", "Phase " .. status.phase)
return hs
