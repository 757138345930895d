-- Argo CD health of a ProfileRun, MutationRound or VerificationRun (frontier.dev/v1alpha1),
-- from status.phase: Succeeded is Healthy, Failed is Degraded, Suspended is Suspended,
-- Pending and Running are Progressing (with rollouts done/total as the message).
local hs = {}
local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to start the run"
  return hs
end
local degraded = nil
if status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Degraded" and condition.status == "True" then
      degraded = condition
    end
  end
end
local progress = status.progress
if progress == nil and status.rolloutsTotal ~= nil and status.rolloutsTotal > 0 then
  progress = tostring(status.rolloutsDone or 0) .. "/" .. tostring(status.rolloutsTotal)
end
if status.phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = "Succeeded" .. (progress and (": " .. progress .. " rollouts") or "")
elseif status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = (degraded ~= nil and degraded.message ~= nil and degraded.message ~= "") and degraded.message or "The run failed"
elseif status.phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = "Suspended"
elseif degraded ~= nil then
  hs.status = "Degraded"
  hs.message = degraded.message or "Degraded"
else
  hs.status = "Progressing"
  hs.message = status.phase .. (progress and (": " .. progress .. " rollouts") or "")
end
return hs
